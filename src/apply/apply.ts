// Executes a batch of changes: bounded concurrency, stop on the first failure, and never a minted token lost.
import { NgrokApiError } from "../ngrok/errors.js";
import type { Credential } from "../ngrok/types.js";
import { errorCode } from "../run/errors.js";
import { decodeMetadata, encodeMetadata, newNonce } from "../ownership/marker.js";
import type { ResourcesApi } from "../ngrok/resources.js";
import { applyKindChange } from "../kinds/apply.js";
import type { Change, Plan, PlanChange } from "../plan/types.js";
import { failureCode, type ChangeOutcome, type CredentialsApi, type FailureInfo, type IntentLog, type TokenKeeper } from "./types.js";

/** What was done about a credential whose token could not be kept: deleted again, or left to its open intent. */
interface Compensation {
  deleted: boolean;
  message: string;
}

/** Changes in flight at once by default (the client caps connections at MAX_CONNECTIONS). */
export const APPLY_CONCURRENCY = 4;

export interface ApplyDeps {
  ngrok: CredentialsApi;
  vault: TokenKeeper;
  intents: IntentLog;
  /** name → id of the tokens the vault held when the plan was made. */
  stored: ReadonlyMap<string, string>;
  /** Changes in flight at once. Default APPLY_CONCURRENCY. */
  concurrency?: number;
  /** The other kinds' calls (service users, API keys, SSH credentials); a batch with such a change needs it. */
  resources?: ResourcesApi;
  /**
   * Service user spec name → id of those created by this plan so far: an owner: naming one is filled in (its id was
   * pending when the plan was made). Creates in the batch add theirs.
   */
  owners?: Map<string, string>;
  /** Called as each change finishes, with its index in the batch: progress, persistence and the audit log. */
  onOutcome?: (outcome: ChangeOutcome, index: number) => void | Promise<void>;
}

/** How a batch went: false once a change failed (what was in flight finished; the rest was not started). */
export interface BatchReport {
  ok: boolean;
  outcomes: ChangeOutcome[];
}

/** A refused plan reached apply anyway: nothing of it is executed (the plan stage never sends one; this is the backstop). */
export class PlanRefusedError extends Error {
  readonly code = "PLAN_REFUSED";
  constructor(readonly refusals: Plan["refusals"]) {
    super(`the plan was refused: ${refusals.map((r) => r.code).join(", ")}`);
    this.name = "PlanRefusedError";
  }
}

/** Thrown (and reported) when a minted token could not be kept. */
class TokenNotKeptError extends Error {
  readonly code = "TOKEN_NOT_STORED";
  constructor(
    readonly id: string,
    readonly compensation: Compensation,
    options: { cause: unknown },
  ) {
    super(`the token of ${id} could not be stored`, options);
    this.name = "TokenNotKeptError";
  }
}

/**
 * Executes one batch of changes that may run side by side (the run core orders and batches them, see
 * run/stages/apply.ts), with bounded concurrency. The first failure stops new work; what was in flight finishes.
 */
export async function applyBatch(changes: readonly PlanChange[], deps: ApplyDeps): Promise<BatchReport> {
  const stored = new Map(deps.stored);
  const outcomes: ChangeOutcome[] = [];
  let failed = false;
  let next = 0;
  const worker = async () => {
    while (!failed && next < changes.length) {
      const index = next++;
      const outcome = await executeAny(changes[index] as PlanChange, deps, stored);
      if (outcome.status === "failed") failed = true;
      outcomes.push(outcome);
      await deps.onOutcome?.(outcome, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, deps.concurrency ?? APPLY_CONCURRENCY), changes.length) }, worker));
  return { ok: !failed, outcomes };
}

/** A change of any kind: the other kinds through their records (src/kinds/), a credential here, its pending owner filled in. */
async function executeAny(change: PlanChange, deps: ApplyDeps, stored: Map<string, string>): Promise<ChangeOutcome> {
  const owners = deps.owners ?? new Map<string, string>();
  if ("kind" in change) {
    if (!deps.resources) return { status: "failed", change, error: { code: "INTERNAL", message: `internal: no client for ${change.name}` } };
    return applyKindChange(change, { api: deps.resources, vault: deps.vault, intents: deps.intents, stored }, owners, stored);
  }
  if ((change.action === "create" || change.action === "replace" || change.action === "rotate") && change.body.owner_id?.startsWith(PENDING)) {
    const owner = change.body.owner_id.slice(PENDING.length);
    const id = owners.get(owner);
    if (id === undefined) return { status: "failed", change, error: { code: "OWNER_MISSING", message: `the service user "${owner}" that owns it was not created` } };
    return execute({ ...change, body: { ...change.body, owner_id: id } }, deps, stored).then((outcome) => ({ ...outcome, change }));
  }
  return execute(change, deps, stored);
}

/** The owner_id of a service user the plan creates (see resolveOwners in plan/kinds-diff.ts). */
const PENDING = "pending:";

async function execute(change: Change, deps: ApplyDeps, stored: Map<string, string>): Promise<ChangeOutcome> {
  try {
    switch (change.action) {
      case "create": {
        const created = await createKeepingToken(change.name, change.body.metadata, change.body, deps, stored);
        return { status: "done", change, createdId: created.id };
      }
      case "update":
      case "import": {
        await deps.ngrok.update(change.id, change.body);
        const note = change.action === "import" ? "adopted: its token stays with whoever holds it; none is stored" : undefined;
        return note ? { status: "done", change, note } : { status: "done", change };
      }
      case "replace": {
        const created = await createKeepingToken(change.name, change.body.metadata, change.body, deps, stored);
        await deleteCredential(change.name, change.id, deps, stored);
        return { status: "done", change, createdId: created.id };
      }
      case "rotate": {
        // Mark the old one first: if the create then fails, the next run creates the new one while the old keeps working.
        await deps.ngrok.update(change.id, change.retireBody);
        const created = await createKeepingToken(change.name, change.body.metadata, change.body, deps, stored);
        return { status: "done", change, createdId: created.id, note: `${change.id} keeps working until ${change.retireAt}` };
      }
      case "delete": {
        await deleteCredential(change.name, change.id, deps, stored);
        if (change.intent) await deps.intents.close(change.intent);
        return { status: "done", change };
      }
    }
  } catch (error) {
    const failure: ChangeOutcome = { status: "failed", change, error: describeFailure(error) };
    if (error instanceof TokenNotKeptError) failure.compensation = error.compensation.message;
    return failure;
  }
}

/**
 * The never-lose-a-token protocol: open an intent (its nonce goes into the marker), create, store the token,
 * close the intent. If the token cannot be stored the credential is deleted again; if even that fails, the
 * open intent makes the next run delete it as an orphan.
 */
async function createKeepingToken(
  name: string,
  metadata: string | undefined,
  body: Parameters<CredentialsApi["create"]>[0],
  deps: ApplyDeps,
  stored: Map<string, string>,
): Promise<Credential> {
  const nonce = newNonce();
  const decoded = decodeMetadata(metadata);
  if (decoded.kind !== "managed") throw new Error(`internal: create of "${name}" carries no ownership marker`);
  const intent = { name, nonce };
  await deps.intents.open(intent);
  // If this throws, the outcome may be unknown (a reset after the write): the intent stays open on purpose.
  const created = await deps.ngrok.create({ ...body, metadata: encodeMetadata(decoded.user, { ...decoded.marker, nonce }) });
  try {
    if (typeof created.token !== "string" || created.token === "") throw new Error("the create response carried no token");
    await deps.vault.store(name, created.id, created.token);
  } catch (cause) {
    let compensation: Compensation;
    try {
      await deps.ngrok.delete(created.id);
      compensation = { deleted: true, message: `deleted ${created.id} again so no credential exists whose token nobody holds` };
    } catch {
      // Reported in the outcome: the open intent is what makes the next run finish the job.
      compensation = { deleted: false, message: `could not delete ${created.id} now; its open intent makes the next run delete it` };
    }
    if (compensation.deleted) {
      // The credential is gone; an intent left open only costs the next run a stale-intent cleanup.
      await deps.intents.close(intent).catch(() => undefined);
    }
    throw new TokenNotKeptError(created.id, compensation, { cause });
  }
  stored.set(name, created.id);
  await deps.intents.close(intent);
  return created;
}

async function deleteCredential(name: string, id: string, deps: ApplyDeps, stored: Map<string, string>): Promise<void> {
  try {
    await deps.ngrok.delete(id);
  } catch (error) {
    // Already gone (deleted by hand, or a retried DELETE whose first attempt landed): the goal is met.
    if (!(isStatus(error, 404))) throw error;
  }
  if (stored.get(name) === id) {
    await deps.vault.remove(name);
    stored.delete(name);
  }
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof NgrokApiError && error.status_code === status;
}

/** A failure for reports and the audit log: code, message, status and operation id; never a token. */
function describeFailure(error: unknown): FailureInfo {
  if (error instanceof Error) {
    const info: FailureInfo = { code: failureCode(errorCode(error)), message: error.message };
    if (error instanceof NgrokApiError) {
      info.status_code = error.status_code;
      if (error.operation_id !== null) info.operation_id = error.operation_id;
    }
    return info;
  }
  return { code: "INTERNAL", message: String(error) };
}
