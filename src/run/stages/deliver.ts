// The deliver stage: tokens pushed to their targets (or secrets we made removed), each target looked at right before the write.
import { guardDelivery } from "../../plan/delivery-guard.js";
import { PLAN_ROW_UNITS } from "../cpu-units.js";
import { CALLS_PER_DELIVERY, RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import type { RevealedToken } from "../ports.js";
import type { DeliveryResult, RunState } from "../state.js";

/**
 * Pushes tokens to their targets (or removes secrets we made); true when the stage is over. Each target is looked at
 * right before the write, whatever the plan said: a secret we did not write, or that changed since we wrote it, is
 * never overwritten or deleted (see delivery-guard.ts).
 */
export async function deliverStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports } = run;
  // The deliveries are read one at a time by index, never the whole plan.
  const { deliveries } = await ports.scratch.loadPlanHead();
  while (state.delivered < deliveries) {
    if (!ports.budget.affords(PLAN_ROW_UNITS)) return false;
    ports.budget.spend(PLAN_ROW_UNITS);
    const [delivery] = await ports.scratch.loadDeliveries({ offset: state.delivered, limit: 1 });
    if (!delivery) throw new RunError("RUN_INTERNAL", `internal: the saved plan has no delivery ${state.delivered} of ${deliveries}`);
    const result: DeliveryResult = { action: delivery.action, name: delivery.name, key: delivery.target.key, status: "done" };
    let id: string | null = null;
    if (!ports.deliverer) {
      result.status = "skipped";
      result.error = run.settings.noDelivery ?? "this driver cannot deliver tokens";
    } else {
      const deliverer = ports.deliverer;
      try {
        // The look is its own step (one call), so a delivery fits the smallest budget; the write follows it at once.
        if (!state.looked) {
          if (!roomFor(run, 1)) return false;
          state.looked = await deliverer.inspect(delivery);
          await persist(state, run);
        }
        if (!roomFor(run, CALLS_PER_DELIVERY)) return false;
        const seen = state.looked;
        const refused = guardDelivery(delivery, await deliverer.records(), seen);
        if (refused !== null) {
          result.status = "refused";
          result.error = refused;
          // A secret that is no longer ours stops being tracked; it stays on GitHub as it is.
          if (delivery.action === "undeliver") await deliverer.forget(delivery);
        } else if (delivery.action === "deliver") {
          const token = await tokenFor(run, delivery.name);
          id = token.id;
          await deliverer.deliver(delivery, token);
        } else if (seen.exists === false) await deliverer.forget(delivery);
        else await deliverer.undeliver(delivery);
      } catch (error) {
        // Refused for want of budget: nothing is recorded, the next invocation delivers it (a PUT is idempotent).
        if (ports.budget.refused) return false;
        result.status = "failed";
        result.error = error instanceof Error ? error.message : String(error);
      }
    }
    delete state.looked;
    state.deliveries.push(result);
    state.delivered++;
    await ports.reporter?.delivery?.(state, result, id);
    await persist(state, run);
  }
  state.stage = "report";
  await persist(state, run);
  return true;
}

/** The token to deliver: the one minted in this invocation, else the stored one if it is the credential the ledger names. */
async function tokenFor(run: Invocation, name: string): Promise<RevealedToken> {
  const minted = run.minted.get(name);
  if (minted) return minted;
  const { tokens } = run.ports;
  const [token, ids] = await Promise.all([tokens.read(name), tokens.idsOf ? tokens.idsOf([name]) : tokens.ids()]);
  if (!token) throw new Error(`no stored token for "${name}" (imported, or lost with the vault): rotate it to deliver one`);
  if (ids.get(name) !== token.id) throw new Error(`the stored token of "${name}" is not yet readable as ${ids.get(name) ?? "its credential"}; the next run delivers it`);
  return token;
}
