// One invocation of a run as the stages see it: its ports, the run's settings, and the helpers every stage uses (persist, room for a step).
import { CALLS_PER_CHANGE, RunError } from "./errors.js";
import type { RevealedToken, RunPorts, RunSettings } from "./ports.js";
import type { RunState } from "./state.js";
import { progressMark } from "./stall.js";

export interface Invocation {
  readonly ports: RunPorts;
  readonly settings: RunSettings;
  /** Tokens minted in this invocation, handed to delivery in memory (never read back from an eventually consistent store). */
  readonly minted: Map<string, RevealedToken>;
  /** Where the run stood when this invocation began (progressMark). */
  readonly start: string;
  /** Work units of this invocation already added to the state's total. */
  countedUnits: number;
}

/** A stage: advances the run from `state.stage`; false when it yielded for want of budget (its state is persisted). */
export type RunStage = (state: RunState, run: Invocation) => Promise<boolean>;

export function invocationOf(state: RunState, ports: RunPorts, settings: RunSettings): Invocation {
  return { ports, settings, minted: new Map(), start: progressMark(state, ports), countedUnits: 0 };
}

/** Whether this invocation has done a unit of work so far. */
export function progressed(state: RunState, run: Invocation): boolean {
  return progressMark(state, run.ports) !== run.start;
}

/** Adds this invocation's calls and work units to the state. */
export function count(state: RunState, run: Invocation): void {
  const { budget } = run.ports;
  const calls = run.ports.takeCalls();
  state.calls = { ngrok: state.calls.ngrok + calls.ngrok, github: state.calls.github + calls.github };
  state.max_subrequests = Math.max(state.max_subrequests, Number.isFinite(budget.used) ? budget.used : 0);
  // Units are counted once per invocation however often it persists: the budget holds this invocation's total.
  const { unitsUsed } = budget;
  state.work_units = (state.work_units ?? 0) + unitsUsed - run.countedUnits;
  run.countedUnits = unitsUsed;
  state.max_work_units = Math.max(state.max_work_units ?? 0, unitsUsed);
}

export async function persist(state: RunState, run: Invocation): Promise<void> {
  // Progress resets the stall count as soon as it is persisted: an invocation killed after it still made some.
  if (progressed(state, run)) state.idle = 0;
  count(state, run);
  await run.ports.scratch.save(state);
}

/** Whether a step of `cost` calls fits what is left; fails the run at once when even a whole invocation's budget cannot fit it. */
export function roomFor(run: Invocation, cost: number): boolean {
  const { budget } = run.ports;
  const { reserve } = run.settings;
  if (budget.limit - reserve < cost) {
    throw new RunError("RUN_NO_ROOM", `MAX_SUBREQUESTS=${budget.limit} leaves no room: ${reserve} subrequests are kept for reporting and the next step needs ${cost}; set MAX_SUBREQUESTS to at least ${reserve + CALLS_PER_CHANGE}`);
  }
  return budget.remaining() - reserve >= cost;
}
