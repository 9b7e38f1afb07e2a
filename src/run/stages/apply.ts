// The apply stage: the plan's changes in order, in batches of one phase that fit the budget, an outcome persisted as each change ends.
import { applyBatch, PlanRefusedError } from "../../apply/apply.js";
import type { ChangeOutcome, TokenKeeper } from "../../apply/types.js";
import type { PlanChange } from "../../plan/types.js";
import { CALLS_PER_CHANGE, MAX_ROUNDS, RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import { specName } from "../kinds.js";
import type { RunState } from "../state.js";

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

/** Applies the plan's changes in batches that fit the budget; true when the stage is over. */
export async function applyStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports, settings } = run;
  if (state.inFlight) {
    // The last invocation stopped with changes in flight: how they ended is unknown, so list and plan again.
    if (state.round + 1 >= MAX_ROUNDS) throw new RunError("RUN_TOO_MANY_ROUNDS", `the run was cut off with changes in flight ${MAX_ROUNDS} times; it stops here and the next run starts afresh`);
    state.inFlight = false;
    state.round++;
    state.stage = "list";
    state.cursor = null;
    delete state.listing;
    await persist(state, run);
    return true;
  }
  const plan = await ports.scratch.loadPlan();
  if (plan.refusals.length > 0) throw new PlanRefusedError(plan.refusals);
  const recorded = (await ports.scratch.loadOutcomes()).filter((r) => r.round === state.round);
  if (recorded.some((r) => r.outcome.status === "failed")) {
    state.stage = "report";
    await persist(state, run);
    return true;
  }
  const done = new Set(recorded.map((r) => r.index));
  // The service users this round created: an owner: naming one was pending when the plan was made.
  const owners = new Map<string, string>();
  for (const { outcome } of recorded) if (outcome.status === "done" && "kind" in outcome.change && outcome.change.kind === "service_user" && outcome.createdId) owners.set(specName(outcome.change.name), outcome.createdId);
  const pending = applyOrder(plan.changes).filter((i) => !done.has(i));
  const keeper = keeperOf(run);
  while (pending.length > 0) {
    if (!roomFor(run, CALLS_PER_CHANGE)) return false;
    const phase = phaseOf(plan.changes[pending[0] as number] as PlanChange);
    const samePhase = pending.findIndex((i) => phaseOf(plan.changes[i] as PlanChange) !== phase);
    const fits = Math.floor((ports.budget.remaining() - settings.reserve) / CALLS_PER_CHANGE);
    const batch = pending.splice(0, Math.min(fits, samePhase === -1 ? pending.length : samePhase));
    state.inFlight = true;
    await persist(state, run);
    let unknown = false;
    const report = await applyBatch(
      batch.map((i) => plan.changes[i] as PlanChange),
      {
        ngrok: ports.ngrok,
        vault: keeper,
        intents: ports.intents,
        stored: await ports.tokens.ids(),
        ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
        ...(ports.resources ? { resources: ports.resources } : {}),
        owners,
        onOutcome: async (outcome: ChangeOutcome, j: number) => {
          // A failure once the budget refused a call may have been half done: the next round finds out.
          if (outcome.status === "failed" && ports.budget.refused) {
            unknown = true;
            return;
          }
          await ports.scratch.saveOutcome(state.round, batch[j] as number, outcome);
          state.applied++;
          await ports.reporter?.outcome?.(state, outcome);
          await persist(state, run);
        },
      },
    );
    if (unknown) return false;
    state.inFlight = false;
    await persist(state, run);
    if (!report.ok) {
      state.stage = "report";
      await persist(state, run);
      return true;
    }
  }
  // Tokens are delivered only once every change went through.
  state.stage = plan.deliveries.length > 0 ? "deliver" : "report";
  await persist(state, run);
  return true;
}

/** The token keeper apply writes through: it remembers what this invocation minted, for delivery. */
function keeperOf(run: Invocation): TokenKeeper {
  const { tokens } = run.ports;
  return {
    store: async (name, id, token) => {
      await tokens.store(name, id, token);
      run.minted.set(name, { name, id, token });
    },
    remove: async (name) => {
      await tokens.remove(name);
      run.minted.delete(name);
    },
  };
}
