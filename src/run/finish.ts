// The last stages of the run core: deliveries, then the result and the output every driver reports.
import { guardDelivery } from "../plan/delivery-guard.js";
import type { Change, Delivery } from "../plan/types.js";
import { applyOrder } from "./apply-stage.js";
import type { Step } from "./core.js";
import { CALLS_PER_DELIVERY } from "./errors.js";
import type { RevealedToken } from "./ports.js";
import { describe, type RunResult } from "./result.js";
import type { DeliveryResult } from "./state.js";
import { progressOf } from "./progress.js";
import type { RunOutput } from "./types.js";

/**
 * Pushes tokens to their targets (or removes secrets we made); true when the stage is over. Each target is looked at
 * right before the write, whatever the plan said: a secret we did not write, or that changed since we wrote it, is
 * never overwritten or deleted (see delivery-guard.ts).
 */
export async function deliverStage(step: Step): Promise<boolean> {
  const { state, ports } = step;
  const plan = await ports.scratch.loadPlan();
  while (state.delivered < plan.deliveries.length) {
    const delivery = plan.deliveries[state.delivered] as Delivery;
    const result: DeliveryResult = { action: delivery.action, name: delivery.name, key: delivery.target.key, status: "done" };
    let id: string | null = null;
    if (!ports.deliverer) {
      result.status = "skipped";
      result.error = ports.noDelivery ?? "this driver cannot deliver tokens";
    } else {
      const deliverer = ports.deliverer;
      try {
        // The look is its own step (one call), so a delivery fits the smallest budget; the write follows it at once.
        if (!state.looked) {
          if (!step.roomFor(1)) return false;
          state.looked = await deliverer.inspect(delivery);
          await step.persist();
        }
        if (!step.roomFor(CALLS_PER_DELIVERY)) return false;
        const seen = state.looked;
        const refused = guardDelivery(delivery, await deliverer.records(), seen);
        if (refused !== null) {
          result.status = "refused";
          result.error = refused;
          // A secret that is no longer ours stops being tracked; it stays on GitHub as it is.
          if (delivery.action === "undeliver") await deliverer.forget(delivery);
        } else if (delivery.action === "deliver") {
          const token = await tokenFor(step, delivery.name);
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
    await step.persist();
  }
  state.stage = "report";
  await step.persist();
  return true;
}

/** The token to deliver: the one minted in this invocation, else the stored one if it is the credential the ledger names. */
async function tokenFor(step: Step, name: string): Promise<RevealedToken> {
  const minted = step.minted.get(name);
  if (minted) return minted;
  const [token, ids] = await Promise.all([step.ports.tokens.read(name), step.ports.tokens.ids()]);
  if (!token) throw new Error(`no stored token for "${name}" (imported, or lost with the vault): rotate it to deliver one`);
  if (ids.get(name) !== token.id) throw new Error(`the stored token of "${name}" is not yet readable as ${ids.get(name) ?? "its credential"}; the next run delivers it`);
  return token;
}


async function resultOf(step: Step): Promise<RunResult> {
  const { state, ports } = step;
  if (state.invalid) return { kind: "invalid", errors: state.invalid, files: state.specFiles ?? 0, ...(state.policyNotes ? { notes: state.policyNotes } : {}) };
  const plan = await ports.scratch.loadPlan();
  if (state.mode === "plan" || plan.refusals.length > 0) return { kind: "planned", plan, live: state.listed };
  const all = await ports.scratch.loadOutcomes();
  // Earlier rounds were cut off; what they finished stays reported, what they left was planned again.
  const outcomes = all.filter((r) => r.round === state.round || r.outcome.status === "done").map((r) => r.outcome);
  const current = all.filter((r) => r.round === state.round);
  const settled = new Set(current.map((r) => r.index));
  const notAttempted = applyOrder(plan.changes).filter((i) => !settled.has(i)).map((i) => plan.changes[i] as Change);
  const ok = notAttempted.length === 0 && current.every((r) => r.outcome.status === "done");
  return { kind: "applied", plan, live: state.listed, report: { ok, outcomes, notAttempted } };
}

/** Builds the run's output from what the stages persisted and hands it to the reporter. */
export async function finishRun(step: Step): Promise<RunOutput> {
  const { state, ports } = step;
  let result: RunResult | null = null;
  let output: RunOutput;
  if (state.skipped !== undefined) {
    output = { status: "skipped", sha: state.sha, summary: null, plan_text: `Nothing to apply: ${state.skipped}.`, outcomes: [], errors: [], api_calls: { ngrok: 0, github: 0 } };
  } else {
    result = await resultOf(step);
    output = describe(result, state.sha, state.deliveries);
  }
  output.progress = progressOf(state);
  if (state.review) {
    output.review = state.review;
    if (state.review.verdict === "held") {
      output.status = "held";
      output.errors.push(...state.review.reasons, ...state.review.missing.map((m) => `${m.name} (${m.file}) needs an approval from ${m.owners.join(" or ")}`));
    }
  }
  if (result) await ports.reporter?.finish?.(state, result, output);
  step.count();
  output.api_calls = { ...state.calls };
  output.progress.max_subrequests = state.max_subrequests;
  output.progress.max_work_units = state.max_work_units ?? 0;
  output.progress.work_units = state.work_units ?? 0;
  return output;
}
