// THE run core: advances one run within a budget of calls, persisting after every step, so a stop anywhere resumes cleanly.
import { boundedReportUnits, reportPieceUnits } from "./cpu-units.js";
import { MAX_INVOCATIONS } from "./errors.js";
import { finishRun } from "./finish.js";
import { count, invocationOf, persist, progressed, type Invocation, type RunStage } from "./invocation.js";
import type { RunPorts, RunSettings } from "./ports.js";
import { applyStage } from "./stages/apply.js";
import { deliverStage } from "./stages/deliver.js";
import { listStage } from "./stages/list.js";
import { renderPlanText } from "./plan-text.js";
import { tallyReport } from "./report-tally.js";
import { planStage } from "./stages/plan.js";
import { startStage } from "./stages/start.js";
import { targetsStage } from "./stages/targets.js";
import type { RunState, Stage } from "./state.js";
import { beginInvocation, endInvocation, invocationCap } from "./stall.js";
import type { RunOutput } from "./types.js";

export { applyOrder } from "./stages/apply.js";
export { CALLS_PER_CHANGE, MAX_IDLE, MAX_INVOCATIONS, MAX_ROUNDS, RunError } from "./errors.js";
export { progressOf } from "./progress.js";

/** How a driver counts a run's invocations (see stall.ts). */
export interface InvocationCount {
  /**
   * This invocation's number, counted and persisted by the driver before any work (an invocation killed for memory
   * or CPU never writes afterwards, yet counts). Default: one more than the state knows.
   */
  attempt?: number;
  /** Invocations one run may take in all (default MAX_INVOCATIONS). */
  maxInvocations?: number;
}

/** Every stage but the last; "report" ends the run (finishRun). */
const STAGES: Record<Exclude<Stage, "report">, RunStage> = {
  start: startStage,
  list: listStage,
  plan: planStage,
  targets: targetsStage,
  apply: applyStage,
  deliver: deliverStage,
};

/**
 * Advances the run as far as this invocation's budget allows. Returns the finished run's output, or null when
 * it yielded (its state is saved; call again, in a later invocation, with the same state or the saved one).
 * Throws when the run failed; the state then holds the calls made so far.
 */
export async function advanceRun(state: RunState, ports: RunPorts, settings: RunSettings, invocation: InvocationCount = {}): Promise<RunOutput | null> {
  const run = invocationOf(state, ports, settings);
  // The cap grows with the run's known work (a first apply of 10,000 needs hundreds of invocations of 50 calls).
  const refused = beginInvocation(state, invocation.attempt ?? state.invocations + 1, invocationCap(state, invocation.maxInvocations ?? MAX_INVOCATIONS, ports.budget, settings.reserve));
  if (refused) return fail(state, run, refused);
  try {
    for (;;) {
      if (state.stage === "report") {
        // plan_text's change lines first, in pieces, then the tally; then reporting, a piece of its own (the other kinds' listed rows counted with the credentials').
        if (!(await renderPlanText(state, run)) || !(await tallyReport(state, run))) break;
        // Under a CPU budget the report reads a bounded head of the plan, the rest tallied before it (finish.ts).
        const rows = { listed: state.listed + (state.kindListed ?? 0), total: state.total };
        const units = Number.isFinite(ports.budget.unitLimit) ? boundedReportUnits(rows) : reportPieceUnits(rows);
        if (!ports.budget.affords(units)) break;
        ports.budget.spend(units);
        return await finishRun(state, run);
      }
      if (!(await STAGES[state.stage](state, run))) break;
    }
  } catch (error) {
    // A call refused for want of budget outside the apply stage: nothing half done, the next invocation redoes it.
    if (!(ports.budget.refused && state.stage !== "apply")) return fail(state, run, error);
  }
  const stalled = endInvocation(state, progressed(state, run));
  if (stalled) return fail(state, run, stalled);
  await persist(state, run);
  return null;
}

export interface DriveOptions {
  settings: RunSettings;
  /** Invocations the run may take in all (default MAX_INVOCATIONS): a driver whose invocations are small raises it. */
  maxInvocations?: number;
}

/** THE loop that drives a run to its end: one advanceRun per invocation, each with its own ports (and budget). */
export async function driveRun(state: RunState, portsFor: () => RunPorts, options: DriveOptions): Promise<RunOutput> {
  for (;;) {
    const output = await advanceRun(state, portsFor(), options.settings, options.maxInvocations !== undefined ? { maxInvocations: options.maxInvocations } : {});
    if (output) return output;
  }
}

/** Ends the run with `error`: its calls counted, its check completed as failed, then the error thrown. */
async function fail(state: RunState, run: Invocation, error: unknown): Promise<never> {
  count(state, run);
  await run.ports.reporter?.failed?.(state, error);
  throw error;
}
