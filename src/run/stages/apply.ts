// The apply stage of the run core: batches that fit the budget, an outcome persisted as each change ends.
import { applyPlan, phaseOf } from "../apply/apply.js";
import type { ChangeOutcome, TokenKeeper } from "../apply/types.js";
import type { Change } from "../plan/types.js";
import type { Step } from "./core.js";
import { CALLS_PER_CHANGE, MAX_ROUNDS, RunError } from "./errors.js";

/**
 * The order changes are applied in: cleanup (orphans, duplicates, retired), then creates, imports and updates,
 * then replaces and rotations (new credential first), then deletes of removed specs. Indices into plan.changes.
 */
export function applyOrder(changes: readonly Change[]): number[] {
  return changes.map((c, i) => [phaseOf(c), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
}

/** Applies the plan's changes in batches that fit the budget; true when the stage is over. */
export async function applyStage(step: Step): Promise<boolean> {
  const { state, ports } = step;
  if (state.inFlight) {
    // The last invocation stopped with changes in flight: how they ended is unknown, so list and plan again.
    if (state.round + 1 >= MAX_ROUNDS) throw new RunError("RUN_TOO_MANY_ROUNDS", `the run was cut off with changes in flight ${MAX_ROUNDS} times; it stops here and the next run starts afresh`);
    state.inFlight = false;
    state.round++;
    state.stage = "list";
    state.cursor = null;
    await step.persist();
    return true;
  }
  const plan = await ports.scratch.loadPlan();
  const recorded = (await ports.scratch.loadOutcomes()).filter((r) => r.round === state.round);
  if (recorded.some((r) => r.outcome.status === "failed")) {
    state.stage = "report";
    await step.persist();
    return true;
  }
  const done = new Set(recorded.map((r) => r.index));
  const pending = applyOrder(plan.changes).filter((i) => !done.has(i));
  const keeper = keeperOf(step);
  while (pending.length > 0) {
    if (!step.roomFor(CALLS_PER_CHANGE)) return false;
    const batch = pending.splice(0, Math.floor((ports.budget.remaining() - ports.reserve) / CALLS_PER_CHANGE));
    const first = state.applied === 0;
    state.inFlight = true;
    await step.persist();
    let unknown = false;
    const report = await applyPlan(
      { ...plan, changes: batch.map((i) => plan.changes[i] as Change), staleIntents: first ? plan.staleIntents : [] },
      {
        ngrok: ports.ngrok,
        vault: keeper,
        intents: ports.intents,
        stored: await ports.tokens.ids(),
        ...(ports.concurrency !== undefined ? { concurrency: ports.concurrency } : {}),
        onOutcome: async (outcome: ChangeOutcome, j: number) => {
          // A failure once the budget refused a call may have been half done: the next round finds out.
          if (outcome.status === "failed" && ports.budget.refused) {
            unknown = true;
            return;
          }
          await ports.scratch.saveOutcome(state.round, batch[j] as number, outcome);
          state.applied++;
          await ports.reporter?.outcome?.(state, outcome);
          await step.persist();
        },
      },
    );
    if (unknown) return false;
    state.inFlight = false;
    await step.persist();
    if (!report.ok) {
      state.stage = "report";
      await step.persist();
      return true;
    }
  }
  // Tokens are delivered only once every change went through.
  state.stage = plan.deliveries.length > 0 ? "deliver" : "report";
  await step.persist();
  return true;
}

/** The token keeper apply writes through: it remembers what this invocation minted, for delivery. */
function keeperOf(step: Step): TokenKeeper {
  const { tokens } = step.ports;
  return {
    store: async (name, id, token) => {
      await tokens.store(name, id, token);
      step.minted.set(name, { name, id, token });
    },
    remove: async (name) => {
      await tokens.remove(name);
      step.minted.delete(name);
    },
  };
}

