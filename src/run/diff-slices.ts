// The plan stage's diff, a slice of the live list per piece of work, within the invocation's work units; its partial result persists in RunState.diff.
import { emptyKindSpecs, OTHER_KIND_LISTS } from "../desired/kind-types.js";
import { fileCacheKey, loadSpecs, type FileCache, type LoadResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import type { Credential } from "../ngrok/types.js";
import type { LiveResource } from "../ngrok/resources.js";
import { diffSlice, finishDiff, heldCredentials, sliceContext, startDiff, type SliceContext } from "../plan/diff-slice.js";
import { diffedSpecs } from "../plan/plan.js";
import type { Intent, Plan } from "../plan/types.js";
import { DIFF_UNITS_PER_CREDENTIAL, FINISH_UNITS_PER_SPEC, INDEX_CONTEXT_UNITS_PER_SPEC, INDEX_READ_UNITS_PER_SPEC } from "./cpu-units.js";
import { RunError } from "./errors.js";
import { credentialShare, isKindName } from "./kinds.js";
import { diffKindsInSlices, endKindsDiff, listedServiceUsers } from "./kinds-slices.js";
import { dropRunMemory, memoCache, readWithin, specsInMemory } from "./file-memo.js";
import type { Invocation } from "./invocation.js";
import { previousSpecs, type Previous } from "./previous.js";
import type { RunConfig, RunPorts } from "./ports.js";
import type { RunState } from "./state.js";
import { rotations } from "./types.js";

/** What the plan stage goes on with once the whole live list is diffed. */
export interface Diffed {
  sources: SpecSource[];
  loaded: Extract<LoadResult, { ok: true }>;
  /** finishDiff's plan, for makePlan's `diffed`. */
  planned: Plan;
  /** The live credentials the policies decode (makePlan's `live`): the slices kept them whole. */
  live: readonly Credential[];
  /** What the diff was judged against (the vault's ids, the intents, the rotations asked for). */
  context: SliceContext;
  /** The previous specs the plan compares reviewed settings with (previous.ts), parsed before the plan is made. */
  previous: Previous;
}

interface SpecIndex {
  /** The run and round it was built for. */
  key: string;
  /** Without the texts their SHAs name while the parse cache held every file (only keys are compared). */
  sources: SpecSource[];
  loaded: Extract<LoadResult, { ok: true }>;
  /** What the index's first piece read beside the specs: the vault's ids, the intents, the rotations already done. */
  read: { stored: ReadonlyMap<string, string>; intents: Intent[]; rotated: ReadonlySet<string>; serviceUsers: LiveResource[] };
  /** The index's second piece: absent until an invocation had its units. */
  context?: SliceContext;
  /** Once read and parsed (their units spent): kept with the index, so a yield after them does not parse them again. */
  previous?: { specs: Previous };
}

/**
 * The specs, the vault's ids and the intents every slice is judged against, kept in memory between invocations of
 * one run while the process lives (a Durable Object between alarms): rebuilt, and its units spent, only when lost.
 * Two pieces of work (at 10,000 specs one would be more than an invocation's units): reading the specs from the parse
 * cache with the vault's ids and the intents, then the slice context made of them.
 */
const indexes = new WeakMap<object, SpecIndex>();

/**
 * Diffs the live list as far as this invocation's units go. Returns what the plan stage needs once every live
 * credential is diffed, or null when it yielded (state.diff holds the progress; the caller persists it).
 */
export async function diffInSlices(state: RunState, run: Invocation): Promise<Diffed | null> {
  const { ports, settings } = run;
  const { budget } = ports;
  let index = indexes.get(ports.scratch);
  if (!index || index.key !== indexKey(state)) {
    // The cache keys are all the index needs of the sources while every file is cached (the start stage put them there).
    const keys = await (ports.scratch.loadSourceKeys ? ports.scratch.loadSourceKeys() : ports.scratch.loadSources());
    // The cached files into memory a file per piece (file-memo.ts; the start stage's reads, while the process kept them), then the index of them.
    if (!readWithin(state, run, keys)) return null;
    const units = Math.ceil(specsInMemory(state, run, keys) * INDEX_READ_UNITS_PER_SPEC);
    if (!budget.affords(units)) return null;
    index = await readIndex(state, run, keys);
    indexes.set(ports.scratch, index);
    budget.spend(units);
  }
  if (!index.context) {
    const units = Math.ceil(index.loaded.specs.length * INDEX_CONTEXT_UNITS_PER_SPEC);
    if (!budget.affords(units)) return null;
    budget.spend(units);
    index.context = contextOf(state, index, settings.config);
  }
  const { context } = index;
  if (state.diff?.round !== state.round) state.diff = { round: state.round, ...startDiff(context.specs.length) };
  while (state.diff.offset < state.listed) {
    const left = Math.floor((budget.unitLimit - budget.unitsUsed) / DIFF_UNITS_PER_CREDENTIAL);
    // The first piece of an invocation always goes: at least one credential, so every invocation progresses.
    const size = Math.min(state.listed - state.diff.offset, budget.unitsUsed === 0 ? Math.max(1, left) : left);
    if (size <= 0) return null;
    const slice = await ports.scratch.loadLive({ offset: state.diff.offset, limit: size });
    budget.spend(slice.length * DIFF_UNITS_PER_CREDENTIAL);
    state.diff = { round: state.round, ...diffSlice(state.diff, slice, context) };
    // The scratch keeps one row per id: a listing that repeated a credential holds fewer than were listed.
    if (slice.length < size) state.listed = state.diff.offset;
  }
  // The other kinds' live lists, sliced the same way (kinds-slices.ts); their finish goes with this one, one piece.
  const kindsFinish = await diffKindsInSlices(state, run, { loaded: index.loaded, context });
  if (kindsFinish === null) return null;
  // The previous specs before the plan is made: pieces of their own (a yield after the plan's piece would make it again).
  if (!index.previous) {
    const previous = await previousSpecs(state, run, index.sources);
    if (previous === null) return null;
    index.previous = { specs: previous };
  }
  const finish = Math.ceil(context.specs.length * FINISH_UNITS_PER_SPEC) + kindsFinish;
  if (!budget.affords(finish)) return null;
  budget.spend(finish);
  const progress = state.diff;
  // The other kinds' deliveries are theirs (src/run/kinds.ts).
  const delivered = (ports.deliverer ? await ports.deliverer.records() : []).filter((record) => !isKindName(record.name));
  const planned = finishDiff(progress, { ownerId: settings.config.ownerId, context, delivered });
  return { sources: index.sources, loaded: index.loaded, planned, live: heldCredentials(progress), context, previous: index.previous.specs };
}

/** Once the plan is saved: the partial result and the index are dropped (a yield before that finishes the diff again, not its slices). */
export function endDiff(state: RunState, ports: RunPorts): void {
  delete state.diff;
  indexes.delete(ports.scratch);
  dropRunMemory(ports.scratch);
  endKindsDiff(state, ports);
}

/**
 * The specs the start stage validated, straight from the parse cache: its cross-file and policy checks passed, so
 * they are not run again. Null when a file is no longer cached (loadSpecs then parses it again).
 */
function cachedSpecs(sources: readonly SpecSource[], cache: FileCache | undefined, ownerId: string): Extract<LoadResult, { ok: true }> | null {
  if (!cache) return null;
  const specs = [];
  const kinds = emptyKindSpecs();
  for (const source of sources) {
    const file = cache.get(fileCacheKey(source, ownerId));
    if (!file || file.errors.length > 0) return null;
    for (const spec of file.specs) specs.push(spec);
    if (file.kinds) for (const list of OTHER_KIND_LISTS) for (const spec of file.kinds[list]) (kinds[list] as (typeof spec)[]).push(spec);
  }
  // loadSpecs's order (names are unique across files: the start stage checked it).
  for (const list of OTHER_KIND_LISTS) kinds[list].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { ok: true, specs: specs.sort((a, b) => (a.name < b.name ? -1 : 1)), kinds, files: sources.length };
}

function indexKey(state: RunState): string {
  return JSON.stringify([state.runId, state.round, state.now, state.sha, state.tree]);
}

/** The index's first piece: the specs (from the parse cache while it holds every file), the vault's ids, the intents. */
async function readIndex(state: RunState, run: Invocation, keys: SpecSource[]): Promise<SpecIndex> {
  const { ports } = run;
  const { config } = run.settings;
  const cache = memoCache(state, run);
  let sources = keys;
  let loaded: LoadResult | null = cachedSpecs(sources, cache, config.ownerId);
  if (!loaded) {
    sources = await ports.scratch.loadSources();
    loaded = loadSpecs(sources, { ownerId: config.ownerId, ...(cache ? { cache } : {}) });
  }
  if (!loaded.ok) throw new RunError("RUN_INTERNAL", "internal: specs validated at the start no longer validate");
  // A rotation asked for and done in an earlier round is not done again.
  const rotated = new Set((await ports.scratch.loadOutcomes()).filter((r) => r.outcome.status === "done" && r.outcome.change.action === "rotate").map((r) => r.outcome.change.name));
  return { key: indexKey(state), sources, loaded, read: { stored: await ports.tokens.ids(), intents: await ports.intents.list(), rotated, serviceUsers: await listedServiceUsers(state, ports) } };
}

/** The index's second piece: the slice context, every spec by name, the owners resolved. */
function contextOf(state: RunState, { loaded, read }: SpecIndex, config: RunConfig): SliceContext {
  const { stored, rotated } = read;
  // `owner:` resolved against the service users listed (in the scratch); only the credentials' own intents.
  const share = credentialShare({ ownerId: config.ownerId, kinds: loaded.kinds, specs: loaded.specs, serviceUsers: read.serviceUsers, intents: read.intents });
  return sliceContext({
    ownerId: config.ownerId,
    specs: diffedSpecs(share.specs, state.now),
    stored,
    intents: share.intents,
    now: state.now,
    ...(config.rotationGraceMs !== undefined ? { rotationGraceMs: config.rotationGraceMs } : {}),
    ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}),
    rotateNow: new Set(rotations(state.request).filter((name) => !rotated.has(name))),
    endingOwners: share.endingOwners,
  });
}
