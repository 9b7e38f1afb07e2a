// makePlan: the diff with every policy applied. The CLI, the Worker and the bench all call this.
import { diff, type DiffInput } from "./diff.js";
import { emptySpecs, maxDeletes, preventDestroy } from "./policy.js";
import type { Plan } from "./types.js";

export interface PlanInput extends DiffInput {
  /** How many spec files were read (0 = none found). */
  specFiles: number;
  maxDeletes: number;
  /** Lifts MAX_DELETES and the empty-folder guard for this run. */
  allowDeletes?: boolean;
}

export function makePlan(input: PlanInput): Plan {
  const allowed = input.allowDeletes ?? false;
  const rotateNow = input.rotateNow ?? new Set<string>();
  const policies = [preventDestroy(input.live, { stored: input.stored, rotateNow }), maxDeletes(input.maxDeletes, allowed, rotateNow), emptySpecs(input.specFiles, allowed)];
  return policies.reduce((plan, policy) => policy(plan), diff(input));
}
