// makePlan: the diff with every policy applied. The CLI, the Worker and the bench all call this.
import { diff, type DiffInput } from "./diff.js";
import { DEFAULT_EXPIRY_WARNING_MS, splitExpired, withExpiry } from "./expiry.js";
import { emptySpecs, maxDeletes, preventDestroy } from "./policy.js";
import type { Plan } from "./types.js";

export interface PlanInput extends DiffInput {
  /** How many spec files were read (0 = none found). */
  specFiles: number;
  maxDeletes: number;
  /** Lifts MAX_DELETES and the empty-folder guard for this run. */
  allowDeletes?: boolean;
  /** EXPIRY_WARNING: how long before a spec's `expires` plans announce it. Default 7 days. */
  expiryWarningMs?: number;
  /** Notes about the repository policy, from `choosePolicy` (a pull request that changes it). */
  policyNotes?: readonly string[];
}

export function makePlan(input: PlanInput): Plan {
  const allowed = input.allowDeletes ?? false;
  // One instant for the whole plan: expiry, rotation ages and grace windows are all measured from it.
  const now = input.now ?? Date.now();
  const { current, expired } = splitExpired(input.specs, now);
  const planned = withExpiry(diff({ ...input, specs: current, now }), expired, current, now, input.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS, input.live);
  const rotateNow = input.rotateNow ?? new Set<string>();
  const policies = [preventDestroy(input.live, { stored: input.stored, rotateNow }), maxDeletes(input.maxDeletes, allowed, rotateNow), emptySpecs(input.specFiles, allowed)];
  const plan = policies.reduce((next, policy) => policy(next), planned);
  return input.policyNotes && input.policyNotes.length > 0 ? { ...plan, notes: [...input.policyNotes, ...plan.notes] } : plan;
}
