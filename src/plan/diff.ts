// The pure diff: validated specs + the live account + what the vault and the intent log hold → a plan.
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata, userOf, type Marker } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { assemble, createBody } from "./assemble.js";
import { carried, fieldChanges, sameOutsideMarker, updateBody } from "./fields.js";
import { markerReader, parsedOf, type LiveMarker } from "./read-live.js";
import type { Change, DeliveryRecord, Intent, Plan } from "./types.js";

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

/** A managed live credential: its marker, and its parsed metadata unless it is exactly its spec's (see markerReader). */
export type Owned = LiveMarker;

/** What the per-credential compare needs beside the spec and the credential (the same for every credential of a diff). */
export type OutcomeContext = Pick<DiffInput, "ownerId" | "rotationGraceMs" | "defaultRotateAfterMs" | "rotateNow"> & { now: number };

export function diff(input: DiffInput): Plan {
  const { ownerId, specs } = input;
  const changes: Change[] = [];
  const openNonces = new Map(input.intents.map((intent) => [intent.nonce, intent]));
  const seenNonces = new Set<string>();
  const now = input.now ?? Date.now();
  let retiring = 0;

  const positionOf = specPositions(specs);
  // The keeper of each spec's name, by the spec's position; of a name no spec has, apart (they are deleted). A second
  // credential with a name (a duplicate) is rare, so it waits apart too.
  const kept: (Owned | undefined)[] = new Array<Owned | undefined>(specs.length);
  const unwanted = new Map<string, Owned>();
  let duplicates: Map<string, Owned[]> | null = null;
  // Only an import looks a credential up by id.
  let byId: Map<string, Credential> | null = null;
  const findById = (id: string) => (byId ??= new Map(input.live.map((credential) => [credential.id, credential]))).get(id);
  let unmanaged = 0;
  let foreign = 0;
  const read = markerReader(ownerId, now, specs, positionOf);
  for (const credential of input.live) {
    const live = read(credential);
    if (live === null) {
      unmanaged++;
      continue;
    }
    const { marker } = live;
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
    const owned: Owned = live;
    const first = live.at >= 0 ? kept[live.at] : unwanted.get(marker.name);
    if (first === undefined) {
      if (live.at >= 0) kept[live.at] = owned;
      else unwanted.set(marker.name, owned);
    } else {
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
    if (keep.at >= 0) kept[keep.at] = keep;
    else unwanted.set(name, keep);
    for (const owned of sorted) {
      if (owned !== keep) changes.push({ action: "delete", name, id: owned.credential.id, reason: "duplicate" });
    }
  }

  const context: OutcomeContext = { ...input, now };
  const removed: Change[] = [];
  for (const [name, owned] of unwanted) removed.push({ action: "delete", name, id: owned.credential.id, reason: "removed" });
  const keeperOf = (name: string, at: number | undefined) => kept[at ?? positionOf(name) ?? -1];
  return assemble({
    ...input,
    now,
    changes,
    counts: { unmanaged, foreign, retiring },
    seenNonces,
    findById,
    keeper: (name, at) => keeperOf(name, at)?.credential.id,
    unheld: (name, at) => input.stored.get(name) !== keeperOf(name, at)?.credential.id,
    outcome: (spec, at) => ownedOutcome(spec, keeperOf(spec.name, at) as Owned, context),
    removed,
  });
}

/**
 * The change one managed credential needs to match its spec (null: none): a rotation when it is due, a replace
 * when a field ngrok cannot update differs, else an update of the fields that differ. The compare diff() and the
 * sliced diff (diff-slice.ts) share.
 */
export function ownedOutcome(spec: CredentialSpec, existing: Owned, input: OutcomeContext): Change | null {
  const { ownerId, now } = input;
  const { credential, marker } = existing;
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
      retireBody: { metadata: encodeMetadata(userOf(parsedOf(existing)), retireMarker) },
      spec,
      body: createBody(spec, ownerId, now),
    };
  }
  // Metadata exactly the spec's and nothing else differs: most credentials of most plans, checked allocating nothing.
  if (existing.managed === null && sameOutsideMarker(spec, credential)) return null;
  const fields = fieldChanges(spec, credential, existing, now);
  const ownerChange = fields.find((field) => field.field === "owner_id");
  if (ownerChange) return { action: "replace", name: spec.name, id: credential.id, reason: "owner_id changed", fields, spec, body: createBody(spec, ownerId, now) };
  if (fields.length === 0) return null;
  const nextMarker: Marker = { owner: ownerId, name: spec.name, ...carried(spec, now) };
  if (marker.nonce !== undefined) nextMarker.nonce = marker.nonce;
  return { action: "update", name: spec.name, id: credential.id, fields, body: updateBody(spec, fields, nextMarker) };
}

/**
 * A name's position in `specs`. The live list mostly comes in the specs' order or its reverse (an apply creates in
 * name order; ngrok lists by creation): the neighbours of the last position found are tried first. The few names
 * found elsewhere (a deleted spec's credential, one made out of order) are searched for in the sorted names; only
 * when many are does it build the Map of every name.
 */
function specPositions(specs: readonly CredentialSpec[]): (name: string) => number | undefined {
  let index: Map<string, number> | null = null;
  let sorted: boolean | null = null;
  let searches = 0;
  let last = -1;
  const nameAt = (i: number) => (specs[i] as CredentialSpec).name;
  return (name) => {
    if (specs[last + 1]?.name === name) return ++last;
    if (last > 0 && specs[last - 1]?.name === name) return --last;
    sorted ??= specs.every((spec, i) => i === 0 || nameAt(i - 1) < spec.name);
    if (sorted && index === null && searches++ < 64) {
      let low = 0;
      let high = specs.length - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        const here = nameAt(mid);
        if (here === name) return (last = mid);
        if (here < name) low = mid + 1;
        else high = mid - 1;
      }
      return undefined;
    }
    if (index === null) {
      index = new Map();
      for (let i = 0; i < specs.length; i++) index.set(nameAt(i), i);
    }
    const at = index.get(name);
    if (at !== undefined) last = at;
    return at;
  };
}

function compareAge(a: Credential, b: Credential): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
