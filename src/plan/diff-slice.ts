// The diff in slices: a slice of the live list at a time against all specs, its partial result small enough to persist between invocations.
//
// diff() reads the whole live list in one go; on Workers Free that is more CPU than one invocation has at 10,000
// credentials. diffSlice() takes the live list a slice at a time and keeps only what a later slice or the end can
// change: the changes found so far, which specs met a credential (one bit each), the keepers whose token the vault
// does not hold (a later duplicate may win over them) and the credentials a later rule decodes. finishDiff() then
// gives the plan diff() gives for the same input (src/plan/diff-slice.test.ts checks that for every slice size).
import type { Credential } from "../ngrok/types.js";
import type { CredentialSpec } from "../desired/types.js";
import { assemble } from "./assemble.js";
import { ownedOutcome } from "./diff.js";
import { markerReader, type LiveMarker } from "./read-live.js";
import type { Change, DeliveryRecord, Intent, Plan, RotationSettings } from "./types.js";

/** What diffing the live list so far found, persisted between invocations (RunState.diff). */
export interface DiffProgress {
  /** Live credentials diffed so far: the next slice starts at this index of the persisted live list. */
  offset: number;
  unmanaged: number;
  foreign: number;
  retiring: number;
  /** Bit i: the i-th spec (in name order) has a live credential; base64. */
  met: string;
  /** Orphans and retired rotations, in live order. */
  early: Change[];
  /** Duplicates found so far (not their keeper). */
  duplicates: Keeper[];
  /** Per name met, the change its keeper needs (a name absent here whose spec was met is unchanged). */
  outcomes: Change[];
  /** Keepers whose token the vault does not hold: a later duplicate may be kept instead. */
  unheld: Keeper[];
  /** The keeper's id of names whose spec imports or delivers (what the end needs of those). */
  keepers: Keeper[];
  /** Live credentials a later rule decodes or reads: the targets of deletes, replaces and rotations, and import targets. */
  held: Credential[];
  /** Nonces of open intents whose credential was found (the rest are stale). */
  nonces: string[];
}

export interface Keeper {
  name: string;
  id: string;
  created_at: string;
}

/** What every slice of one diff is judged against: the same for all its slices. */
export interface SliceContext extends RotationSettings {
  ownerId: string;
  /** The specs the diff plans for (unexpired), in name order. */
  specs: readonly CredentialSpec[];
  /** name → index into specs. */
  index: ReadonlyMap<string, number>;
  /** Ids some spec imports. */
  imports: ReadonlySet<string>;
  stored: ReadonlyMap<string, string>;
  intents: readonly Intent[];
  /** Ids of service users this plan deletes: a live credential one of them owns is held, so OWNER_IN_USE sees it. */
  endingOwners?: ReadonlySet<string>;
}

export function sliceContext(input: Omit<SliceContext, "index" | "imports">): SliceContext {
  const index = new Map<string, number>();
  const imports = new Set<string>();
  input.specs.forEach((spec, i) => {
    index.set(spec.name, i);
    if (spec.import !== undefined) imports.add(spec.import);
  });
  return { ...input, index, imports };
}

export function startDiff(specs: number): DiffProgress {
  return { offset: 0, unmanaged: 0, foreign: 0, retiring: 0, met: encodeBits(new Uint8Array(Math.ceil(specs / 8))), early: [], duplicates: [], outcomes: [], unheld: [], keepers: [], held: [], nonces: [] };
}

/** Diffs `slice` (the live credentials at progress.offset onwards) and returns the progress after it. */
export function diffSlice(progress: DiffProgress, slice: readonly Credential[], context: SliceContext): DiffProgress {
  const { ownerId, specs, index, stored } = context;
  const early = [...progress.early];
  const duplicates = [...progress.duplicates];
  const counts = { unmanaged: progress.unmanaged, foreign: progress.foreign, retiring: progress.retiring };
  const met = decodeBits(progress.met, specs.length);
  const open = new Set(context.intents.map((intent) => intent.nonce));
  const outcomes = new Map(progress.outcomes.map((change) => [change.name, change]));
  const unheld = new Map(progress.unheld.map((keeper) => [keeper.name, keeper]));
  const keepers = new Map(progress.keepers.map((keeper) => [keeper.name, keeper]));
  const held = new Map(progress.held.map((credential) => [credential.id, credential]));
  const nonces = new Set(progress.nonces);
  /** Makes `credential` the keeper of its name: its change replaces the one the name had. */
  const keep = (read: LiveMarker, spec: CredentialSpec | undefined) => {
    const { credential } = read;
    const name = read.marker.name;
    const change = spec ? ownedOutcome(spec, read, context) : ({ action: "delete", name, id: credential.id, reason: "removed" } as const);
    if (change) outcomes.set(name, change);
    else if (outcomes.size > 0) outcomes.delete(name);
    const heldToken = stored.get(name) === credential.id;
    const recorded = spec !== undefined && (spec.import !== undefined || spec.deliver.length > 0);
    // The keeper's record only where it is kept: most keepers are unchanged, their tokens stored, and nothing asks for them.
    const keeper = !heldToken || recorded ? { name, id: credential.id, created_at: credential.created_at } : null;
    // A keeper without its token in the vault may lose to a later duplicate, which then deletes it: kept whole.
    if (!heldToken) unheld.set(name, keeper as Keeper), held.set(credential.id, credential);
    else if (unheld.size > 0) unheld.delete(name);
    if (change && change.action !== "update") held.set(credential.id, credential);
    if (recorded) keepers.set(name, keeper as Keeper);
  };
  const read = markerReader(ownerId, context.now, specs, (name) => index.get(name));
  for (const credential of slice) {
    if (context.imports.has(credential.id) || (credential.owner_id !== undefined && context.endingOwners?.has(credential.owner_id))) held.set(credential.id, credential);
    const live = read(credential);
    if (live === null) {
      counts.unmanaged++;
      continue;
    }
    const { marker } = live;
    if (marker.owner !== ownerId) {
      counts.foreign++;
      continue;
    }
    // As diff(): an orphan (its create never confirmed, its token not stored), a retired rotation, else a keeper or a duplicate.
    if (marker.nonce !== undefined && open.has(marker.nonce) && stored.get(marker.name) !== credential.id) {
      nonces.add(marker.nonce);
      early.push({ action: "delete", name: marker.name, id: credential.id, reason: "orphan", intent: { name: marker.name, nonce: marker.nonce } });
      held.set(credential.id, credential);
      continue;
    }
    if (marker.retire !== undefined) {
      if (!(Date.parse(marker.retire) > context.now)) {
        early.push({ action: "delete", name: marker.name, id: credential.id, reason: "retired" });
        held.set(credential.id, credential);
      } else counts.retiring++;
      continue;
    }
    const { at } = live;
    const spec = at < 0 ? undefined : specs[at];
    const seen = at < 0 ? outcomes.has(marker.name) : hasBit(met, at);
    if (!seen) {
      if (at >= 0) setBit(met, at);
      keep(live, spec);
      continue;
    }
    // A duplicate: the keeper is the one whose token the vault holds, else the oldest.
    const rival = unheld.get(marker.name);
    const wins = rival !== undefined && (stored.get(marker.name) === credential.id || compareAge(credential, rival) < 0);
    if (wins) keep(live, spec);
    else held.set(credential.id, credential);
    duplicates.push(wins && rival ? rival : { name: marker.name, id: credential.id, created_at: credential.created_at });
  }
  return {
    offset: progress.offset + slice.length,
    ...counts,
    met: encodeBits(met),
    early,
    duplicates,
    outcomes: [...outcomes.values()],
    unheld: [...unheld.values()],
    keepers: [...keepers.values()],
    held: [...held.values()],
    nonces: [...nonces],
  };
}

export interface FinishInput {
  ownerId: string;
  context: SliceContext;
  delivered?: readonly DeliveryRecord[];
}

/** The plan diff() makes, from the progress after the last slice. */
export function finishDiff(progress: DiffProgress, input: FinishInput): Plan {
  const { context } = input;
  const met = decodeBits(progress.met, context.specs.length);
  const held = new Map(progress.held.map((credential) => [credential.id, credential]));
  const outcomes = new Map(progress.outcomes.map((change) => [change.name, change]));
  const unheld = new Map(progress.unheld.map((keeper) => [keeper.name, keeper]));
  const keepers = new Map([...progress.keepers, ...progress.unheld].map((keeper) => [keeper.name, keeper]));
  // diff() deletes a name's duplicates oldest first.
  const duplicates = [...progress.duplicates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareAge(a, b)));
  const changes: Change[] = [...progress.early, ...duplicates.map((d): Change => ({ action: "delete", name: d.name, id: d.id, reason: "duplicate" }))];
  return assemble({
    ownerId: input.ownerId,
    specs: context.specs,
    stored: context.stored,
    intents: context.intents,
    now: context.now,
    ...(input.delivered ? { delivered: input.delivered } : {}),
    changes,
    counts: { unmanaged: progress.unmanaged, foreign: progress.foreign, retiring: progress.retiring },
    seenNonces: new Set(progress.nonces),
    findById: (id) => held.get(id),
    keeper: (name, known) => {
      const at = known ?? context.index.get(name);
      if (at === undefined || !hasBit(met, at)) return undefined;
      const outcome = outcomes.get(name);
      // A keeper nothing was recorded of has its token stored under its id.
      return keepers.get(name)?.id ?? (outcome && "id" in outcome ? outcome.id : (context.stored.get(name) ?? ""));
    },
    unheld: (name) => unheld.has(name),
    outcome: (spec) => outcomes.get(spec.name) ?? null,
    removed: progress.outcomes.filter((change) => !context.index.has(change.name)),
  });
}

/** The live credentials diffSlice kept whole: what the plan's later rules (prevent_destroy, expiry) decode instead of the live list. */
export function heldCredentials(progress: DiffProgress): readonly Credential[] {
  return progress.held;
}

function compareAge(a: Pick<Credential, "created_at" | "id">, b: Pick<Credential, "created_at" | "id">): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function hasBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7));
}

function encodeBits(bits: Uint8Array): string {
  let binary = "";
  for (const byte of bits) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBits(text: string, length: number): Uint8Array {
  const binary = atob(text);
  const bits = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < bits.length && i < binary.length; i++) bits[i] = binary.charCodeAt(i);
  return bits;
}
