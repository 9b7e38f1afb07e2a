// The start stage: read the specs, parse them within the invocation's work units, validate them against the chosen policy.
import { choosePolicy } from "../../desired/repo-policy-choice.js";
import { fileCacheKey, loadSpecs } from "../../desired/load.js";
import type { SpecSource } from "../../desired/types.js";
import type { SpecSnapshot } from "../ports.js";
import { checkUnits, parseUnits, saveSourcesUnits } from "../cpu-units.js";
import { overParseLimit } from "../../desired/limits.js";
import { persist, type Invocation } from "../invocation.js";
import { listsToRead } from "../kinds.js";
import { memoCache, readWithin } from "../file-memo.js";
import type { RunState } from "../state.js";

/** Reads and validates the specs; false when parsing is left for the next invocation. */
export async function startStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports, settings } = run;
  const snapshot = await ports.specs.read(state);
  state.sha = snapshot.sha;
  state.tree = snapshot.tree;
  if (snapshot.skipped !== undefined) {
    state.skipped = snapshot.skipped;
    state.stage = "report";
  } else if (snapshot.invalid !== undefined) {
    await ports.reporter?.started?.(state);
    state.invalid = snapshot.invalid;
    state.specFiles = 0;
    state.stage = "report";
  } else {
    // Parsing is CPU-bound: file by file within the invocation's units; the cache keeps what is done.
    // The cached files are then read back into memory a file per piece (file-memo.ts), then every file's specs are
    // put together from memory and checked across files (one piece, its units by all the bytes), then the sources
    // saved a file at a time.
    if (!parseWithin(state, run, snapshot.sources)) return yieldStart(state, run);
    if (!state.checked && !readWithin(state, run, snapshot.sources)) return yieldStart(state, run);
    if (!state.checked) {
      const units = checkUnits(snapshot.sources);
      if (!ports.budget.affords(units)) return yieldStart(state, run);
      ports.budget.spend(units);
      await ports.reporter?.started?.(state);
      if (!(await check(state, run, snapshot))) {
        await persist(state, run);
        return true;
      }
      state.checked = true;
    }
    // The sources saved file by file, each with its units: no piece grows with the account (a file is at most 1 MiB).
    for (let saved = state.savedSources ?? 0; saved < snapshot.sources.length; saved++) {
      const source = snapshot.sources[saved] as SpecSource;
      const units = saveSourcesUnits([source]);
      if (!ports.budget.affords(units)) return yieldStart(state, run);
      ports.budget.spend(units);
      await ports.scratch.saveSources([source], { append: saved > 0 });
      state.savedSources = saved + 1;
    }
    delete state.checked;
    delete state.savedSources;
    state.stage = "list";
  }
  await persist(state, run);
  return true;
}

/** Persists what the start stage did so far; the next invocation goes on from there. */
async function yieldStart(state: RunState, run: Invocation): Promise<false> {
  await persist(state, run);
  return false;
}

/**
 * Puts the specs together and checks them across files and against the chosen policy; false (the errors in
 * state.invalid, the run on to its report) when they do not validate.
 */
async function check(state: RunState, run: Invocation, snapshot: SpecSnapshot): Promise<boolean> {
  const { ports, settings } = run;
  // On a pull request the default branch's policy judges, so the PR cannot loosen what reviews it.
  const choice = choosePolicy(snapshot.policy ?? { head: null });
  if (choice.notes.length > 0) state.policyNotes = choice.notes;
  if (snapshot.baseline !== undefined) state.baseline = snapshot.baseline;
  if (choice.policy?.review) state.approvals = choice.policy.review.approvals;
  const { config } = settings;
  const cache = memoCache(state, run);
  const loaded = loadSpecs(snapshot.sources, {
    ownerId: config.ownerId,
    ...parseLimit(run),
    ...(cache ? { cache } : {}),
    ...(choice.policy ? { policy: { policy: choice.policy, now: state.now, ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}) } } : {}),
  });
  const errors = [...choice.errors, ...(loaded.ok ? [] : loaded.errors)];
  if (errors.length === 0) {
    // The kinds beside credentials the specs use (or the vault or an open intent names): listed after the credentials.
    if (loaded.ok && ports.resources) state.lists = listsToRead(loaded.kinds, loaded.specs, (await ports.kindsApplied?.read()) ?? [], [...(await ports.tokens.ids()).keys(), ...(await ports.intents.list()).map((i) => i.name)]);
    return true;
  }
  state.invalid = errors;
  state.specFiles = loaded.files;
  state.stage = "report";
  return false;
}

/**
 * Parses, one file per piece of work, the files the parse cache does not hold, while the invocation's work
 * units last; each parsed file is persisted in the cache. False when some are left for the next invocation.
 * Without a cache there is nowhere to keep a parsed file: everything is parsed at once (the CLI, the bench).
 */
function parseWithin(state: RunState, run: Invocation, sources: readonly SpecSource[]): boolean {
  // Through the run's memory: a file parsed here is not read back from the cache for the check.
  const cache = memoCache(state, run);
  if (!cache) return true;
  const { budget } = run.ports;
  const { ownerId } = run.settings.config;
  const limit = parseLimit(run);
  for (const source of sources) {
    const key = fileCacheKey(source, ownerId);
    // Only whether it is there: reading a cached file back costs about what parsing it would.
    if (cache.has ? cache.has(key) : cache.get(key)) continue;
    // Larger than any invocation can parse: not parsed, the check refuses it (FILE_OVER_CPU_BUDGET) unread.
    if (limit.maxParseBytes !== undefined && overParseLimit(source.content, limit.maxParseBytes)) continue;
    const units = parseUnits(source.content.length);
    if (!budget.affords(units)) return false;
    budget.spend(units);
    loadSpecs([source], { ownerId, cache, ...limit });
    state.parsed = (state.parsed ?? 0) + 1;
  }
  return true;
}

/** With a CPU budget, the largest spec file one invocation can parse (a larger one would be killed for CPU); none without. */
function parseLimit(run: Invocation): { maxParseBytes?: number } {
  const { maxParseBytes } = run.settings;
  return maxParseBytes !== undefined ? { maxParseBytes } : {};
}
