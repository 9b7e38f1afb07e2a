// The previous specs a plan compares reviewed settings with, read through the spec port's baseline (see SpecSnapshot).
import { fileCacheKey, loadSpecs } from "../desired/load.js";
import { usedKinds } from "../kinds/plan-kinds.js";
import type { SpecSource } from "../desired/types.js";
import { changedSources, type NoPreviousSpecs, type PreviousSpecs } from "../plan/settings.js";
import { parseUnits } from "./cpu-units.js";
import type { Invocation } from "./invocation.js";
import type { RunState } from "./state.js";

/** What a plan compares reviewed settings with: the previous specs, why there are none, or undefined (nothing asked). */
export type Previous = PreviousSpecs | NoPreviousSpecs | undefined;

/**
 * The baseline's specs, parsed, limited to the files that differ from `current` (the others hold the same specs):
 * undefined when the driver compares nothing. Previous specs that no longer validate are not compared, and the plan
 * says so: a partial comparison would read as "nothing changed". Parsing them is work that grows with the change
 * (a reformatted tree is every file): it is done within the invocation's units (parsePrevious), null when it yielded.
 */
export async function previousSpecs(state: RunState, run: Invocation, current: readonly SpecSource[]): Promise<Previous | null> {
  const { ports, settings } = run;
  const baseline = state.baseline;
  if (baseline === undefined || (baseline !== null && !ports.specs.previous)) return undefined;
  if (baseline === null) return { unknown: "nothing has been applied yet to compare with" };
  // The very commit planned (a cron tick on the applied tree): nothing to read, nothing changed.
  if (baseline.ref !== null && baseline.ref === state.sha) return { label: baseline.label, specs: [], paths: new Set() };
  const sources = await (ports.specs.previous as NonNullable<typeof ports.specs.previous>)(baseline);
  if (sources === null) return { unknown: `the specs of ${baseline.label} cannot be read` };
  const { previous, paths } = changedSources(sources, current);
  if (paths.size === 0) return { label: baseline.label, specs: [], paths };
  if (!parsePrevious(state, run, previous)) return null;
  const loaded = loadSpecs(previous, { ownerId: settings.config.ownerId, ...(ports.specs.cache ? { cache: ports.specs.cache } : {}) });
  if (!loaded.ok) return { unknown: `the specs of ${baseline.label} do not validate` };
  return { label: baseline.label, specs: loaded.specs, paths, kinds: [...usedKinds(loaded.kinds)] };
}

/**
 * Parses the previous files the parse cache does not hold as the start stage parses the current ones: a piece of work
 * per file, each kept in the cache and counted in state.parsed (an invocation that parsed one made progress), while the
 * units last; false when some are left for the next invocation. Without a cache the files are parsed together after
 * this (loadSpecs): one piece of all their units.
 */
function parsePrevious(state: RunState, { ports, settings }: Invocation, sources: readonly SpecSource[]): boolean {
  const { budget } = ports;
  const { cache } = ports.specs;
  const { ownerId } = settings.config;
  if (!cache) {
    const units = sources.reduce((sum, source) => sum + parseUnits(source.content.length), 0);
    if (!budget.affords(units)) return false;
    budget.spend(units);
    return true;
  }
  for (const source of sources) {
    const key = fileCacheKey(source, ownerId);
    if (cache.has ? cache.has(key) : cache.get(key)) continue;
    const units = parseUnits(source.content.length);
    if (!budget.affords(units)) return false;
    budget.spend(units);
    loadSpecs([source], { ownerId, cache });
    state.parsed = (state.parsed ?? 0) + 1;
  }
  return true;
}
