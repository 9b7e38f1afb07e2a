// `--target NAME` (repeatable), as `terraform plan -target`: the part of a plan that touches only the named credentials (pure).
import type { Plan } from "./types.js";

export interface TargetResult {
  plan: Plan;
  /** Targets that name no change, no delivery and no unchanged credential: probably a typo. */
  unknown: string[];
}

/**
 * Keeps the changes, deliveries, refusals and stale intents of the named credentials; everything else is left for a later
 * run (an untargeted one converges it). Refusals that concern no one credential (MAX_DELETES, EMPTY_SPECS) are
 * re-judged by the caller's planner, not here: they stay when any targeted change is a delete.
 */
export function targetPlan(plan: Plan, targets: readonly string[]): TargetResult {
  const wanted = new Set(targets);
  const changes = plan.changes.filter((c) => wanted.has(c.name));
  const deletes = changes.filter((c) => c.action === "delete" || c.action === "replace").length;
  const refusals = plan.refusals.filter((r) => (r.name !== undefined ? wanted.has(r.name) : deletes > 0));
  const known = new Set([...plan.changes.map((c) => c.name), ...plan.deliveries.map((d) => d.name), ...plan.unchanged, ...(plan.settings ?? []).map((s) => s.name), ...plan.refusals.flatMap((r) => (r.name ? [r.name] : []))]);
  return {
    plan: {
      ...plan,
      changes,
      deliveries: plan.deliveries.filter((d) => wanted.has(d.name)),
      unchanged: plan.unchanged.filter((n) => wanted.has(n)),
      refusals,
      staleIntents: plan.staleIntents.filter((i) => wanted.has(i.name)),
      ...(plan.settings ? { settings: plan.settings.filter((s) => wanted.has(s.name)) } : {}),
    },
    unknown: targets.filter((t) => !known.has(t)),
  };
}
