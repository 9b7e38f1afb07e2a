// The apply stage: the plan's changes in apply order, read by range in batches of one phase that fit the budget, an outcome persisted as each change ends.
import { applyBatch, PlanRefusedError } from "../../apply/apply.js";
import type { ChangeOutcome, TokenKeeper } from "../../apply/types.js";
import { PLAN_ROW_UNITS } from "../cpu-units.js";
import { CALLS_PER_CHANGE, MAX_ROUNDS, RunError } from "../errors.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import { specName } from "../kinds.js";
import { phaseOf } from "../plan-order.js";
import type { PlanHead } from "../ports.js";
import type { RunState } from "../state.js";

export { applyOrder, phaseOf } from "../plan-order.js";

/**
 * Applies the plan's changes in batches that fit the budget; true when the stage is over. The plan was saved in apply
 * order and a batch ends whole before the next starts (a cut one sends the run to a new round), so `state.applied`
 * is where the next batch starts: an invocation reads that batch's changes, never the whole plan.
 */
export async function applyStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports, settings } = run;
  const { budget } = ports;
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
  const head = await ports.scratch.loadPlanHead();
  if (head.refusals > 0) throw new PlanRefusedError((await ports.scratch.loadPlan()).refusals);
  const keeper = keeperOf(run);
  let owners: Map<string, string> | null = null;
  while (state.applied < head.changes) {
    if (!roomFor(run, CALLS_PER_CHANGE)) return false;
    const phase = phaseAt(head, state.applied);
    const fits = Math.floor((budget.remaining() - settings.reserve) / CALLS_PER_CHANGE);
    // The rest of this phase, as many as the calls left allow: read back by range, each row with its units.
    const count = Math.min(fits, phaseEnd(head, phase) - state.applied);
    if (!budget.affords(count * PLAN_ROW_UNITS)) return false;
    budget.spend(count * PLAN_ROW_UNITS);
    const offset = state.applied;
    const batch = await ports.scratch.loadChanges({ offset, limit: count });
    if (batch.length !== count || batch.some((change) => phaseOf(change) !== phase)) throw new RunError("RUN_INTERNAL", `internal: the saved plan's changes ${offset}–${offset + count - 1} are not all of apply phase ${phase}`);
    // The service users this round created (phase 1, read once an invocation): an owner: naming one was pending when the plan was made.
    if (phase > 1 && owners === null) owners = await ownersCreated(state, run, head);
    state.inFlight = true;
    await persist(state, run);
    let unknown = false;
    const report = await applyBatch(batch, {
      ngrok: ports.ngrok,
      vault: keeper,
      intents: ports.intents,
      // The batch's own (a change's vault key is its name): never every stored token's in each invocation.
      stored: await (ports.tokens.idsOf ? ports.tokens.idsOf(batch.map((change) => change.name)) : ports.tokens.ids()),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
      ...(ports.resources ? { resources: ports.resources } : {}),
      owners: owners ?? new Map(),
      onOutcome: async (outcome: ChangeOutcome, j: number) => {
        // A failure once the budget refused a call may have been half done: the next round finds out.
        if (outcome.status === "failed" && ports.budget.refused) {
          unknown = true;
          return;
        }
        await ports.scratch.saveOutcome(state.round, offset + j, outcome);
        state.applied++;
        await ports.reporter?.outcome?.(state, outcome);
        await persist(state, run);
      },
    });
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
  state.stage = head.deliveries > 0 ? "deliver" : "report";
  await persist(state, run);
  return true;
}

/** The apply phase of the change at `position` of a plan saved in apply order. */
function phaseAt(head: PlanHead, position: number): number {
  let end = 0;
  for (let phase = 0; phase < head.phases.length; phase++) {
    end += head.phases[phase] ?? 0;
    if (position < end) return phase;
  }
  throw new RunError("RUN_INTERNAL", `internal: change ${position} is past the saved plan's ${head.changes}`);
}

/** Where apply phase `phase` ends in a plan saved in apply order. */
function phaseEnd(head: PlanHead, phase: number): number {
  return head.phases.slice(0, phase + 1).reduce((sum, n) => sum + n, 0);
}

/** The ids of the service users this round created, by spec name: the outcomes of phase 1, read by range with their units. */
async function ownersCreated(state: RunState, run: Invocation, head: PlanHead): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const users = head.phases[1] ?? 0;
  if (users === 0) return owners;
  run.ports.budget.spend(users * PLAN_ROW_UNITS);
  for (const { outcome } of await run.ports.scratch.loadOutcomes({ round: state.round, offset: head.phases[0] ?? 0, limit: users })) {
    if (outcome.status === "done" && "kind" in outcome.change && outcome.change.kind === "service_user" && outcome.createdId) owners.set(specName(outcome.change.name), outcome.createdId);
  }
  return owners;
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
