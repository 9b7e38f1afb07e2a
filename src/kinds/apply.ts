// Executes the kinds' changes in order (service users first on create, last on delete); a minted API key is kept like a token: write-ahead intent, vault, then close.
import { failureCode, type FailureInfo, type IntentLog, type TokenKeeper } from "../apply/types.js";
import type { LiveResource, ResourceBody, ResourcesApi } from "../ngrok/resources.js";
import { decodeMetadata, encodeMetadata, newNonce } from "../ownership/marker.js";
import { kindApplyOrder, type KindChange, type KindsPlan } from "../plan/kind-changes.js";
import { kindOf, SERVICE_USERS, vaultName, type KindRecord } from "./records.js";

export interface KindsApplyDeps {
  api: ResourcesApi;
  vault: TokenKeeper;
  intents: IntentLog;
  /** Vault name → id of the secrets the vault held when the plan was made. */
  stored: ReadonlyMap<string, string>;
  /** Service user spec name → id, for those that exist already (creates in this apply add theirs). */
  owners: ReadonlyMap<string, string>;
  /** Told of each change as it ends, with its index in plan.changes. */
  onOutcome?: (outcome: KindOutcome, index: number) => void | Promise<void>;
}

export type KindOutcome =
  | { status: "done"; change: KindChange; createdId?: string }
  | { status: "failed"; change: KindChange; error: FailureInfo };

/** Runs the changes one at a time in apply order; the first failure stops the rest (reported as not attempted). */
export async function applyKinds(plan: KindsPlan, deps: KindsApplyDeps): Promise<{ ok: boolean; outcomes: KindOutcome[]; notAttempted: KindChange[] }> {
  if (plan.refusals.length > 0) throw new Error(`internal: the plan was refused: ${plan.refusals.map((r) => r.code).join(", ")}`);
  for (const intent of plan.staleIntents) await deps.intents.close(intent);
  const owners = new Map(deps.owners);
  const stored = new Map(deps.stored);
  const outcomes: KindOutcome[] = [];
  const order = kindApplyOrder(plan.changes);
  for (let i = 0; i < order.length; i++) {
    const index = order[i] as number;
    const change = plan.changes[index] as KindChange;
    const outcome = await execute(change, deps, owners, stored);
    outcomes.push(outcome);
    await deps.onOutcome?.(outcome, index);
    if (outcome.status === "failed") return { ok: false, outcomes, notAttempted: order.slice(i + 1).map((j) => plan.changes[j] as KindChange) };
  }
  return { ok: true, outcomes, notAttempted: [] };
}

async function execute(change: KindChange, deps: KindsApplyDeps, owners: Map<string, string>, stored: Map<string, string>): Promise<KindOutcome> {
  try {
    if (change.kind === "service_user") {
      if (change.action === "create") {
        const created = await deps.api.create(SERVICE_USERS, change.body);
        owners.set(change.name, created.id);
        return { status: "done", change, createdId: created.id };
      }
      if (change.action === "delete") await deleteIgnoringGone(deps.api, SERVICE_USERS, change.id);
      else {
        if (Object.keys(change.body).length > 0) await deps.api.update(SERVICE_USERS, change.id, change.body);
        owners.set(change.name, change.id);
      }
      return { status: "done", change };
    }
    const kind = kindOf(change.kind);
    const name = vaultName(kind, change.name);
    const wire = (): ResourceBody => {
      const body = { ...(change.wire ?? {}) };
      if (change.owner !== undefined) {
        const id = owners.get(change.owner);
        if (id === undefined) throw Object.assign(new Error(`the service user "${change.owner}" that owns it was not created`), { code: "OWNER_MISSING" });
        body.owner_id = id;
      }
      return body;
    };
    switch (change.action) {
      case "create":
        return { status: "done", change, createdId: (await createKeeping(kind, name, wire(), deps, stored)).id };
      case "update":
      case "import":
        if (Object.keys(change.wire ?? {}).length > 0) await deps.api.update(kind, change.id, change.wire ?? {});
        return { status: "done", change };
      case "replace": {
        const created = await createKeeping(kind, name, wire(), deps, stored);
        await removeKeeping(kind, name, change.id, deps, stored);
        return { status: "done", change, createdId: created.id };
      }
      case "rotate": {
        await deps.api.update(kind, change.id, change.retireBody);
        return { status: "done", change, createdId: (await createKeeping(kind, name, wire(), deps, stored)).id };
      }
      case "delete":
        await removeKeeping(kind, name, change.id, deps, stored);
        if (change.intent) await deps.intents.close({ ...change.intent, name });
        return { status: "done", change };
    }
  } catch (error) {
    const fields = error as Error & { code?: unknown; status_code?: unknown };
    const info: FailureInfo = { code: failureCode(fields.code), message: error instanceof Error ? error.message : String(error) };
    if (typeof fields.status_code === "number") info.status_code = fields.status_code;
    return { status: "failed", change, error: info };
  }
}

/**
 * A kind with a secret is created as a credential is: intent (its nonce in the marker), create, vault, close; a
 * secret that cannot be kept is deleted again, or left to the open intent. A kind without one is simply created.
 */
async function createKeeping(kind: KindRecord, name: string, body: ResourceBody, deps: KindsApplyDeps, stored: Map<string, string>): Promise<LiveResource> {
  if (kind.secret === null) return deps.api.create(kind, body);
  const decoded = decodeMetadata(body.metadata);
  if (decoded.kind !== "managed") throw new Error(`internal: create of "${name}" carries no ownership marker`);
  const intent = { name, nonce: newNonce() };
  await deps.intents.open(intent);
  const created = await deps.api.create(kind, { ...body, metadata: encodeMetadata(decoded.user, { ...decoded.marker, nonce: intent.nonce }) });
  try {
    if (typeof created.token !== "string" || created.token === "") throw new Error("the create response carried no secret");
    await deps.vault.store(name, created.id, created.token);
  } catch (cause) {
    await deps.api.delete(kind, created.id).then(
      () => deps.intents.close(intent).catch(() => undefined),
      () => undefined,
    );
    throw Object.assign(new Error(`the secret of ${created.id} could not be stored`, { cause }), { code: "TOKEN_NOT_STORED" });
  }
  stored.set(name, created.id);
  await deps.intents.close(intent);
  return created;
}

async function removeKeeping(kind: KindRecord, name: string, id: string, deps: KindsApplyDeps, stored: Map<string, string>): Promise<void> {
  await deleteIgnoringGone(deps.api, kind, id);
  if (stored.get(name) === id) {
    await deps.vault.remove(name);
    stored.delete(name);
  }
}

/** Already gone (a retried DELETE whose first attempt landed, or by hand): the goal is met. */
async function deleteIgnoringGone(api: ResourcesApi, kind: KindRecord, id: string): Promise<void> {
  try {
    await api.delete(kind, id);
  } catch (error) {
    if ((error as { status_code?: unknown }).status_code !== 404) throw error;
  }
}

/**
 * One change of a run's plan (named `list/name`, see run/kinds.ts), as the run core's apply stage batches it.
 * `owners` holds the ids of the service users created so far (this change adds its own when it creates one).
 */
export async function applyKindChange(change: KindChange, deps: Omit<KindsApplyDeps, "owners" | "onOutcome">, owners: Map<string, string>, stored: Map<string, string>): Promise<KindOutcome> {
  const bare = { ...change, name: change.name.slice(change.name.indexOf("/") + 1) } as KindChange;
  const outcome = await execute(bare, { ...deps, owners }, owners, stored);
  return { ...outcome, change };
}
