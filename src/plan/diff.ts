// The pure diff: validated specs + the live account + what the vault and the intent log hold → a plan.
import type { Credential, CredentialCreate, CredentialUpdate } from "../ngrok/types.js";
import { decodeMarker, decodeMetadata, encodeMetadata, userOf, type Marker, type ParsedMarker } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { deliveryTargetRef, parseTargetKey } from "./deliveries.js";
import { carried, fieldChanges, updateBody } from "./fields.js";
import type { Change, Delivery, DeliveryRecord, Intent, Plan, Refusal } from "./types.js";

export { normaliseAcl, sameJson } from "./fields.js";

export interface DiffInput {
  ownerId: string;
  specs: readonly CredentialSpec[];
  live: readonly Credential[];
  /** name → credential id of every token the vault holds. */
  stored: ReadonlyMap<string, string>;
  /** Open write-ahead intents (creates whose token was not confirmed stored). */
  intents: readonly Intent[];
  /** Now, in ms: rotation ages and grace windows are measured from it. Defaults to Date.now(). */
  now?: number;
  /** How long the old credential of a rotation stays alive. Default 1 hour. */
  rotationGraceMs?: number;
  /** rotate_after for specs that set none. */
  defaultRotateAfterMs?: number;
  /** Names to rotate now whatever their age (the operator's rotate action). */
  rotateNow?: ReadonlySet<string>;
  /** Deliveries made so far; leave it out where deliveries are not tracked (the CLI, the bench): none are planned. */
  delivered?: readonly DeliveryRecord[];
}

export const DEFAULT_ROTATION_GRACE_MS = 3_600_000;

export interface Owned {
  credential: Credential;
  marker: Marker;
  /** The parsed metadata: the user's part is compared in place and copied out only for a change. */
  managed: ParsedMarker;
  /** A spec of this name was read (what is left unwanted is deleted). */
  wanted: boolean;
}

/** What the per-credential compare needs beside the spec and the credential (the same for every credential of a diff). */
export type OutcomeContext = Pick<DiffInput, "ownerId" | "rotationGraceMs" | "defaultRotateAfterMs" | "rotateNow"> & { now: number };

export function diff(input: DiffInput): Plan {
  const { ownerId } = input;
  const changes: Change[] = [];
  const openNonces = new Map(input.intents.map((intent) => [intent.nonce, intent]));
  const seenNonces = new Set<string>();
  const now = input.now ?? Date.now();
  let retiring = 0;

  // One entry per managed name; a second credential with a name (a duplicate) is rare, so it waits apart.
  const current = new Map<string, Owned>();
  let duplicates: Map<string, Owned[]> | null = null;
  // Only an import looks a credential up by id.
  let byId: Map<string, Credential> | null = null;
  const findById = (id: string) => (byId ??= new Map(input.live.map((credential) => [credential.id, credential]))).get(id);
  let unmanaged = 0;
  let foreign = 0;
  for (const credential of input.live) {
    const managed = decodeMarker(credential.metadata);
    if (managed === null) {
      unmanaged++;
      continue;
    }
    const { marker } = managed;
    if (marker.owner !== ownerId) {
      foreign++;
      continue;
    }
    // Its create was never confirmed: unless the vault holds its token after all, nobody has the token.
    // (When the vault does hold it, only closing the intent failed: the intent counts as stale.)
    if (marker.nonce !== undefined && openNonces.has(marker.nonce) && input.stored.get(marker.name) !== credential.id) {
      seenNonces.add(marker.nonce);
      changes.push({ action: "delete", name: marker.name, id: credential.id, reason: "orphan", intent: { name: marker.name, nonce: marker.nonce } });
      continue;
    }
    // The old credential of a rotation: alive until its retire time, then deleted. Never a duplicate.
    if (marker.retire !== undefined) {
      const retireAt = Date.parse(marker.retire);
      if (!(retireAt > now)) changes.push({ action: "delete", name: marker.name, id: credential.id, reason: "retired" });
      else retiring++;
      continue;
    }
    const owned: Owned = { credential, marker, managed, wanted: false };
    const first = current.get(marker.name);
    if (first === undefined) current.set(marker.name, owned);
    else {
      duplicates ??= new Map();
      const more = duplicates.get(marker.name);
      if (more) more.push(owned);
      else duplicates.set(marker.name, [first, owned]);
    }
  }

  // One live credential per name: keep the one whose token we hold, else the oldest; the rest are duplicates.
  for (const [name, list] of duplicates ?? []) {
    const storedId = input.stored.get(name);
    const sorted = [...list].sort((a, b) => compareAge(a.credential, b.credential));
    const keep = sorted.find((owned) => owned.credential.id === storedId) ?? (sorted[0] as Owned);
    current.set(name, keep);
    for (const owned of sorted) {
      if (owned !== keep) changes.push({ action: "delete", name, id: owned.credential.id, reason: "duplicate" });
    }
  }

  const context: OutcomeContext = { ...input, now };
  const wanted = new Set(input.specs.map((spec) => spec.name));
  return assemble({
    ...input,
    now,
    changes,
    counts: { unmanaged, foreign, retiring },
    seenNonces,
    findById,
    existing: (name) => {
      const owned = current.get(name);
      return owned ? { id: owned.credential.id, unheld: input.stored.get(name) !== owned.credential.id } : undefined;
    },
    outcome: (spec) => ownedOutcome(spec, current.get(spec.name) as Owned, context),
    removed: [...current].flatMap(([name, owned]): Change[] => (wanted.has(name) ? [] : [{ action: "delete", name, id: owned.credential.id, reason: "removed" }])),
  });
}

/**
 * The change one managed credential needs to match its spec (null: none): a rotation when it is due, a replace
 * when a field ngrok cannot update differs, else an update of the fields that differ. The compare diff() and the
 * sliced diff (diff-slice.ts) share.
 */
export function ownedOutcome(spec: CredentialSpec, existing: Owned, input: OutcomeContext): Change | null {
  const { ownerId, now } = input;
  const { credential, marker, managed } = existing;
  const rotateAfter = spec.rotate_after_ms ?? input.defaultRotateAfterMs;
  const forced = input.rotateNow?.has(spec.name) ?? false;
  // Parsing a date costs more than the rest of an unchanged credential's check: only when it can matter.
  const age = forced || rotateAfter !== undefined ? now - Date.parse(credential.created_at) : 0;
  if (forced || (rotateAfter !== undefined && age >= rotateAfter)) {
    const retireAt = new Date(now + (input.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS)).toISOString();
    const retireMarker: Marker = { ...marker, retire: retireAt };
    return {
      action: "rotate",
      name: spec.name,
      id: credential.id,
      reason: forced ? "rotation requested" : `older than rotate_after (${Math.floor(age / 86_400_000)} days)`,
      retireAt,
      retireBody: { metadata: encodeMetadata(userOf(managed), retireMarker) },
      spec,
      body: createBody(spec, ownerId, now),
    };
  }
  const fields = fieldChanges(spec, credential, managed, now);
  const ownerChange = fields.find((field) => field.field === "owner_id");
  if (ownerChange) return { action: "replace", name: spec.name, id: credential.id, reason: "owner_id changed", fields, spec, body: createBody(spec, ownerId, now) };
  if (fields.length === 0) return null;
  const nextMarker: Marker = { owner: ownerId, name: spec.name, ...carried(spec, now) };
  if (marker.nonce !== undefined) nextMarker.nonce = marker.nonce;
  return { action: "update", name: spec.name, id: credential.id, fields, body: updateBody(spec, fields, nextMarker) };
}

/** The keeper of a spec's name, as the end of a diff sees it: its id, and whether the vault lacks its token. */
export interface Existing {
  id: string;
  unheld: boolean;
}

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
  existing(name: string): Existing | undefined;
  /** The change the keeper of this spec's name needs (null: none); asked only of a spec whose name has a keeper. */
  outcome(spec: CredentialSpec): Change | null;
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
  for (const spec of found.specs) {
    const existing = found.existing(spec.name);
    if (spec.import && (!existing || existing.id !== spec.import)) {
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
    if (!existing) {
      changes.push({ action: "create", name: spec.name, spec, body: createBody(spec, ownerId, now) });
      continue;
    }
    const outcome = found.outcome(spec);
    if (outcome) changes.push(outcome);
    else {
      unchanged.push(spec.name);
      if (existing.unheld) withoutToken.push(`"${spec.name}" (${existing.id})`);
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
  const deliveries = found.delivered ? planDeliveries(found.specs, changes, (name) => found.existing(name)?.id, found.delivered) : [];
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
function importRefusal(spec: CredentialSpec, existing: Existing | undefined, target: Credential | undefined, ownerId: string): Refusal | null {
  let detail: string | null = null;
  if (existing) detail = `the name is already managed as ${existing.id}; remove \`import:\` or the other credential`;
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

function createBody(spec: CredentialSpec, ownerId: string, now: number): CredentialCreate {
  const body: CredentialCreate = {
    description: spec.description,
    metadata: encodeMetadata(spec.metadata, { owner: ownerId, name: spec.name, ...carried(spec, now) }),
    acl: spec.acl,
  };
  if (spec.owner_id !== undefined) body.owner_id = spec.owner_id;
  return body;
}

function compareAge(a: Credential, b: Credential): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const ACTION_ORDER = { delete: 0, create: 1, import: 2, update: 3, replace: 4, rotate: 4 } as const;

/** Stable, readable order: orphans and duplicates go first, then by action, then by name. */
function order(changes: Change[]): Change[] {
  const rank = (change: Change) =>
    change.action === "delete" && (change.reason === "orphan" || change.reason === "duplicate") ? -1 : change.action === "delete" ? 5 : ACTION_ORDER[change.action];
  return changes.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
