// The order a plan's changes are applied in, and the head a saved plan keeps: the apply stage reads its changes by range in that order.
import type { Plan, PlanChange } from "../plan/types.js";
import type { PlanHead } from "./ports.js";

/**
 * Phase of a change: 0 cleanup (orphans, duplicates, retired), 1 service users' creates/imports/updates, 2 the other
 * creates/imports/updates, 3 replaces/rotations, 4 removed, 5 removed service users (they own the others).
 */
export function phaseOf(change: PlanChange): 0 | 1 | 2 | 3 | 4 | 5 {
  const user = "kind" in change && change.kind === "service_user";
  if (change.action === "delete") return change.reason !== "removed" ? 0 : user ? 5 : 4;
  if (change.action === "replace" || change.action === "rotate") return 3;
  return user ? 1 : 2;
}

/**
 * The order changes are applied in: cleanup (orphans, duplicates, retired), then creates, imports and updates
 * (service users first), then replaces and rotations (new credential first), then deletes of removed specs (service
 * users last). Indices into plan.changes. A phase starts once the one before it is over: changes of one phase only
 * ever share a batch.
 */
export function applyOrder(changes: readonly PlanChange[]): number[] {
  return changes.map((c, i) => [phaseOf(c), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
}

/** The plan with its changes in apply order: saved so, the apply stage reads the next changes as one range. */
export function inApplyOrder(plan: Plan): Plan {
  return { ...plan, changes: applyOrder(plan.changes).map((i) => plan.changes[i] as PlanChange) };
}

/** The head a scratch keeps beside a saved plan's rows. */
export function planHead(plan: Plan): PlanHead {
  const phases = [0, 0, 0, 0, 0, 0];
  for (const change of plan.changes) phases[phaseOf(change)]!++;
  return { changes: plan.changes.length, deliveries: plan.deliveries.length, refusals: plan.refusals.length, phases };
}
