// makePlan: the diff with every policy applied. The CLI, the Worker and the bench all call this.
import { diff, type DiffInput } from "./diff.js";
import { DEFAULT_EXPIRY_WARNING_MS, splitExpired, withExpiry } from "./expiry.js";
import { emptySpecs, maxDeletes, preventDestroy } from "./safety-rails.js";
import { settingChanges, unshownSettings, type NoPreviousSpecs, type PreviousSpecs } from "./settings.js";
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
  /**
   * The specs the reviewed settings are compared with: a pull request's base branch, or what was last applied. Left
   * out where there are none to compare with (the plan then has no `settings`).
   */
  previous?: PreviousSpecs | NoPreviousSpecs;
  /**
   * The diff already made, in slices (diff-slice.ts finishDiff over diffedSpecs): used instead of diff(). `live`
   * then needs only the credentials the slices kept whole (heldCredentials), which the policies decode.
   */
  diffed?: Plan;
}

/** The specs the diff plans for: those whose `expires` is still ahead (the expired ones are deleted, never created). */
export function diffedSpecs(specs: PlanInput["specs"], now: number): PlanInput["specs"] {
  return splitExpired(specs, now).current;
}

export function makePlan(input: PlanInput): Plan {
  const allowed = input.allowDeletes ?? false;
  // One instant for the whole plan: expiry, rotation ages and grace windows are all measured from it.
  const now = input.now ?? Date.now();
  const { current, expired } = splitExpired(input.specs, now);
  const planned = withExpiry(input.diffed ?? diff({ ...input, specs: current, now }), expired, current, now, input.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS, input.live);
  const rotateNow = input.rotateNow ?? new Set<string>();
  const policies = [preventDestroy(input.live, { stored: input.stored, rotateNow }), maxDeletes(input.maxDeletes, allowed, rotateNow), emptySpecs(input.specFiles, allowed)];
  const plan = withSettings(policies.reduce((next, policy) => policy(next), planned), input);
  return input.policyNotes && input.policyNotes.length > 0 ? { ...plan, notes: [...input.policyNotes, ...plan.notes] } : plan;
}

/** The reviewed settings changed since the previous specs that the plan's changes do not already show. */
function withSettings(plan: Plan, input: PlanInput): Plan {
  const previous = input.previous;
  if (previous === undefined) return plan;
  if ("unknown" in previous) return { ...plan, settings: [], notes: [...plan.notes, `reviewed settings (rotate_after, expires, deliver, prevent_destroy, import) are not compared: ${previous.unknown}`] };
  const { paths } = previous;
  const current = paths === undefined ? input.specs : input.specs.filter((spec) => paths.has(spec.source.file));
  return { ...plan, settings: unshownSettings(settingChanges(previous.specs, current), plan.changes), settingsSince: previous.label };
}
