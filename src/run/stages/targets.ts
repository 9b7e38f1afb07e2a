// The "targets" stage: each planned delivery's target secret is looked at on GitHub, so the plan says which it refuses.
import { guardDelivery, type TargetSeen } from "../../plan/delivery-guard.js";
import type { Delivery } from "../../plan/types.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import type { RunState } from "../state.js";

/** Looks at one target per call, persisting each answer; true when the plan is annotated and the next stage set. */
export async function targetsStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports } = run;
  const deliverer = ports.deliverer;
  // The deliveries alone, not the whole plan: each target costs a call, so there are never more than calls allow.
  const { deliveries: count } = await ports.scratch.loadPlanHead();
  const deliveries = await ports.scratch.loadDeliveries({ offset: 0, limit: count });
  const seen = (state.targets ??= []);
  while (deliverer && seen.length < deliveries.length) {
    if (!roomFor(run, 1)) return false;
    const delivery = deliveries[seen.length] as Delivery;
    let found: TargetSeen;
    try {
      found = await deliverer.inspect(delivery);
    } catch (error) {
      if (ports.budget.refused) return false;
      // Kept, not thrown: one unreadable target must not stop the plan's changes. The deliver stage looks again
      // before it writes, and reports this error then if it persists.
      found = { exists: null, error: error instanceof Error ? error.message : String(error) };
    }
    seen.push(found);
    await persist(state, run);
  }
  const records = deliverer ? await deliverer.records() : [];
  await ports.scratch.saveDeliveries(
    deliveries.map((delivery, i) => {
      const why = guardDelivery(delivery, records, seen[i] ?? { exists: null, error: "not looked at" });
      return why === null ? delivery : { ...delivery, refused: why };
    }),
  );
  state.stage = state.afterTargets ?? "report";
  delete state.targets;
  delete state.afterTargets;
  await persist(state, run);
  return true;
}
