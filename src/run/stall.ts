// The one stall rule of the run core: a run ends once MAX_IDLE invocations in a row persisted no unit of work (killed ones included).
import { MAX_PAGE_LIMIT } from "../ngrok/types.js";
import type { Budget } from "./budget.js";
import { DIFF_UNITS_PER_CREDENTIAL, DIFF_UNITS_PER_KIND_ITEM } from "./cpu-units.js";
import { CALLS_PER_CHANGE, CALLS_PER_DELIVERY, MAX_IDLE, RunError } from "./errors.js";
import type { RunPorts } from "./ports.js";
import type { RunState } from "./state.js";

/**
 * Where the run stands in persisted units of work: a list page, a plan, a change's outcome, a delivery, a stage
 * passed, a spec file parsed into the parse cache, a cached file read back into memory, the specs checked across files, a slice of the live list diffed, a piece of plan_text rendered, a piece of the report's tally, a spec file saved for the plan stage, and every spec blob downloaded and cached (a big tree is read over several invocations). Two equal
 * marks mean nothing was persisted between them.
 */
export function progressMark(state: RunState, ports: RunPorts): string {
  return JSON.stringify([state.stage, state.cursor, state.listed, state.pages, state.round, state.applied, state.delivered, state.inFlight, state.parsed ?? 0, state.filesRead ?? 0, state.checked ?? false, state.diff?.offset ?? -1, state.rendered ?? 0, state.savedSources ?? 0, state.tally?.at ?? 0, state.tally?.fingerprint !== undefined, ports.specs.progress?.() ?? 0, state.kindDiff?.parts.map((part) => part.diff.offset) ?? []]);
}

/**
 * The invocations this run may take: `base` (MAX_INVOCATIONS) for the fixed part, plus twice what the work known so
 * far needs at this invocation's budget: a spec file parsed per invocation at worst, the list pages and diff slices
 * of what was listed (credentials and the other kinds' items), and the calls of the plan's changes and deliveries. A first apply of 10,000 creates (20,000
 * planned calls at 42 an invocation) may take about 1,200 invocations instead of being given up at 200; a run that
 * spins still ends, by the stall rule or by this cap.
 */
export function invocationCap(state: Readonly<RunState>, base: number, budget: Pick<Budget, "limit" | "unitLimit">, reserve: number): number {
  if (!Number.isFinite(budget.limit)) return base;
  const calls = Math.max(1, budget.limit - reserve);
  const items = state.kindListed ?? 0;
  const pages = Math.ceil((state.listed + items) / MAX_PAGE_LIMIT / calls);
  const units = state.listed * DIFF_UNITS_PER_CREDENTIAL + items * DIFF_UNITS_PER_KIND_ITEM;
  const slices = Number.isFinite(budget.unitLimit) ? Math.ceil(units / Math.max(1, budget.unitLimit)) : 0;
  const writes = Math.ceil((state.total * CALLS_PER_CHANGE + state.deliveries.length * CALLS_PER_DELIVERY) / calls);
  return base + (state.parsed ?? 0) + 2 * (pages + slices + writes);
}

/**
 * Counts invocation number `attempt` of the run as it begins. A driver that can be killed without a chance to
 * write (memory, CPU) counts its attempts itself before any work and passes the count: an attempt the state does
 * not know of persisted nothing, so each is one more invocation without progress. Returns the error that ends
 * the run before it does any work, or null.
 */
export function beginInvocation(state: RunState, attempt: number, maxInvocations: number): RunError | null {
  state.idle += Math.max(0, attempt - 1 - state.invocations);
  state.invocations = Math.max(attempt, state.invocations + 1);
  if (state.idle >= MAX_IDLE) return noProgress(state);
  if (state.invocations > maxInvocations) {
    return new RunError("RUN_TOO_MANY_INVOCATIONS", `the run took more than ${maxInvocations} invocations: it is given up so the queue can move on; the next push or cron tick starts afresh`);
  }
  return null;
}

/** Counts the invocation's end: one that persisted no unit of work is one more in a row; null while the run may go on. */
export function endInvocation(state: RunState, progressed: boolean): RunError | null {
  state.idle = progressed ? 0 : state.idle + 1;
  return state.idle >= MAX_IDLE ? noProgress(state) : null;
}

function noProgress(state: RunState): RunError {
  return new RunError(
    "RUN_NO_PROGRESS",
    `the run made no progress in ${state.idle} invocations in a row (stage ${state.stage}): it is given up so the queue can move on; the next push or cron tick starts afresh`,
  );
}
