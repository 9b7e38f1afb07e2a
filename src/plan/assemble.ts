// The end of a diff: the spec loop (creates, imports, each keeper's change), notes, deliveries and order, over what the pass over the live list found.
import type { Credential, CredentialCreate } from "../ngrok/types.js";
import { decodeMetadata, encodeMetadata } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { deliveryTargetRef, parseTargetKey } from "./deliveries.js";
import { carried, fieldChanges, updateBody } from "./fields.js";
import type { Change, Delivery, DeliveryRecord, Intent, Plan, Refusal } from "./types.js";

/** What the pass over the live list found, for assemble. */
export interface Found {
  ownerId: string;
  specs: readonly CredentialSpec[];
  stored: ReadonlyMap<string, string>;
  intents: readonly Intent[];
  now: number;
  delivered?: readonly DeliveryRecord[];
  /** Orphans, retired rotations and duplicates, in that order. */
  changes: Change[];
  counts: { unmanaged: number; foreign: number; retiring: number };
  seenNonces: ReadonlySet<string>;
  /** A live credential by id (only imports look one up). */
  findById(id: string): Credential | undefined;
  /** The id of the keeper of a name, if any. `at`: where the spec of that name is in `specs`, when the caller knows (saves a lookup per spec). */
  keeper(name: string, at?: number): string | undefined;
  /** Whether the vault lacks the token of the keeper of a spec's name (asked only of a spec whose name has one). */
  unheld(name: string, at: number): boolean;
  /** The change the keeper of this spec's name needs (null: none); asked only of a spec whose name has a keeper. `at` as for existing. */
  outcome(spec: CredentialSpec, at: number): Change | null;
  /** The "removed" deletes: keepers of names no spec has. */
  removed: readonly Change[];
}

/** The plan from what the pass over the live list found: the spec loop (creates, imports, each keeper's change), notes and deliveries. */
export function assemble(found: Found): Plan {
  const { ownerId, now } = found;
  const changes = [...found.changes];
  const unchanged: string[] = [];
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const withoutToken: string[] = [];
  for (let at = 0; at < found.specs.length; at++) {
    const spec = found.specs[at] as CredentialSpec;
    const existing = found.keeper(spec.name, at);
    if (spec.import && existing !== spec.import) {
      const target = found.findById(spec.import);
      const refused = importRefusal(spec, existing, target, ownerId);
      if (refused) {
        refusals.push(refused);
        continue;
      }
      if (!target) continue;
      const fields = fieldChanges(spec, target, undefined, now);
      const body = updateBody(spec, fields, { owner: ownerId, name: spec.name, ...carried(spec, now) });
      body.metadata = encodeMetadata(spec.metadata, { owner: ownerId, name: spec.name, ...carried(spec, now) });
      changes.push({ action: "import", name: spec.name, id: target.id, fields, spec, body });
      continue;
    }
    if (existing === undefined) {
      changes.push({ action: "create", name: spec.name, spec, body: createBody(spec, ownerId, now) });
      continue;
    }
    const outcome = found.outcome(spec, at);
    if (outcome) changes.push(outcome);
    else {
      unchanged.push(spec.name);
      if (found.unheld(spec.name, at)) withoutToken.push(`"${spec.name}" (${existing})`);
    }
  }
  for (const change of found.removed) changes.push(change);

  if (withoutToken.length > 0) {
    // One note, however many: an account adopted wholesale must not flood the plan.
    const shown = withoutToken.slice(0, 10).join(", ");
    const more = withoutToken.length > 10 ? ` and ${withoutToken.length - 10} more` : "";
    const subject = withoutToken.length === 1 ? `${shown} is managed but its token is` : `${shown}${more} are managed but their tokens are`;
    notes.push(`${subject} not in the vault: whoever holds them keeps using them; rotate to have one stored`);
  }
  const staleIntents = found.intents.filter((intent) => !found.seenNonces.has(intent.nonce));
  const deliveries = found.delivered ? planDeliveries(found.specs, changes, (name) => found.keeper(name), found.delivered) : [];
  return { ownerId, changes: order(changes), deliveries, retiring: found.counts.retiring, unchanged: unchanged.sort(), unmanaged: found.counts.unmanaged, foreign: found.counts.foreign, refusals, notes, staleIntents };
}

/**
 * A target gets the token when it has not yet received the one the credential will have after this plan
 * (a create, replace or rotation mints a new one); a target that left its spec loses the secret we created.
 */
function planDeliveries(specs: readonly CredentialSpec[], changes: readonly Change[], idOf: (name: string) => string | undefined, delivered: readonly DeliveryRecord[]): Delivery[] {
  const minting = new Set(changes.filter((c) => c.action === "create" || c.action === "replace" || c.action === "rotate").map((c) => c.name));
  const done = new Set(delivered.map((record) => `${record.name}\0${record.key}\0${record.id}`));
  const out: Delivery[] = [];
  const wantedKeys = new Set<string>();
  for (const spec of specs) {
    for (const target of spec.deliver) {
      const ref = deliveryTargetRef(target);
      wantedKeys.add(`${spec.name}\0${ref.key}`);
      const id = idOf(spec.name);
      if (minting.has(spec.name) || id === undefined || !done.has(`${spec.name}\0${ref.key}\0${id}`)) out.push({ action: "deliver", name: spec.name, target: ref });
    }
  }
  const seen = new Set<string>();
  for (const record of delivered) {
    const pair = `${record.name}\0${record.key}`;
    if (wantedKeys.has(pair) || seen.has(pair)) continue;
    seen.add(pair);
    out.push({ action: "undeliver", name: record.name, target: parseTargetKey(record.key) });
  }
  return out;
}

/**
 * Why `spec` may not import its id, or null when it may. The message is the same whatever the reason, so a
 * pull request learns nothing about whether the id exists or who owns it; the reason is in `detail`.
 */
function importRefusal(spec: CredentialSpec, existing: string | undefined, target: Credential | undefined, ownerId: string): Refusal | null {
  let detail: string | null = null;
  if (existing !== undefined) detail = `the name is already managed as ${existing}; remove \`import:\` or the other credential`;
  else if (!target) detail = `${spec.import} does not exist on this account`;
  else {
    const decoded = decodeMetadata(target.metadata);
    if (decoded.kind === "managed") detail = decoded.marker.owner === ownerId ? `${spec.import} is already managed as "${decoded.marker.name}"` : `${spec.import} is managed by another installation`;
  }
  if (detail === null) return null;
  return {
    code: "IMPORT_REFUSED",
    name: spec.name,
    message: `"${spec.name}" cannot import ${spec.import ?? ""}: only an unmanaged credential of this account can be imported, by a name not yet managed (the operator's plan says why)`,
    detail,
  };
}

const ACTION_ORDER = { delete: 0, create: 1, import: 2, update: 3, replace: 4, rotate: 4 } as const;

/** Stable, readable order: orphans and duplicates go first, then by action, then by name. */
function order(changes: Change[]): Change[] {
  const rank = (change: Change) =>
    change.action === "delete" && (change.reason === "orphan" || change.reason === "duplicate") ? -1 : change.action === "delete" ? 5 : ACTION_ORDER[change.action];
  return changes.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The create body of a spec: its fields and our marker. */
export function createBody(spec: CredentialSpec, ownerId: string, now: number): CredentialCreate {
  const body: CredentialCreate = {
    description: spec.description,
    metadata: encodeMetadata(spec.metadata, { owner: ownerId, name: spec.name, ...carried(spec, now) }),
    acl: spec.acl,
  };
  if (spec.owner_id !== undefined) body.owner_id = spec.owner_id;
  return body;
}
