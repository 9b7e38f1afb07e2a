// The previous specs a plan compares reviewed settings with, read through the spec port's baseline (see SpecSnapshot).
import { loadSpecs } from "../desired/load.js";
import { usedKinds } from "../kinds/plan-kinds.js";
import type { SpecSource } from "../desired/types.js";
import { changedSources, type NoPreviousSpecs, type PreviousSpecs } from "../plan/settings.js";
import type { Invocation } from "./invocation.js";
import type { RunState } from "./state.js";

/**
 * The baseline's specs, parsed, limited to the files that differ from `current` (the others hold the same specs):
 * undefined when the driver compares nothing. Previous specs that no longer validate are not compared, and the plan
 * says so: a partial comparison would read as "nothing changed".
 */
export async function previousSpecs(state: Readonly<RunState>, { ports, settings }: Invocation, current: readonly SpecSource[]): Promise<PreviousSpecs | NoPreviousSpecs | undefined> {
  const baseline = state.baseline;
  if (baseline === undefined || (baseline !== null && !ports.specs.previous)) return undefined;
  if (baseline === null) return { unknown: "nothing has been applied yet to compare with" };
  // The very commit planned (a cron tick on the applied tree): nothing to read, nothing changed.
  if (baseline.ref !== null && baseline.ref === state.sha) return { label: baseline.label, specs: [], paths: new Set() };
  const sources = await (ports.specs.previous as NonNullable<typeof ports.specs.previous>)(baseline);
  if (sources === null) return { unknown: `the specs of ${baseline.label} cannot be read` };
  const { previous, paths } = changedSources(sources, current);
  if (paths.size === 0) return { label: baseline.label, specs: [], paths };
  const loaded = loadSpecs(previous, { ownerId: settings.config.ownerId, ...(ports.specs.cache ? { cache: ports.specs.cache } : {}) });
  if (!loaded.ok) return { unknown: `the specs of ${baseline.label} do not validate` };
  return { label: baseline.label, specs: loaded.specs, paths, kinds: [...usedKinds(loaded.kinds)] };
}
