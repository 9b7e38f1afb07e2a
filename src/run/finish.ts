// The report stage of the run core: the result from what the stages persisted, and the output every driver reports.
import type { ChangeOutcome } from "../apply/types.js";
import { summarize, type PlanChange } from "../plan/types.js";
import { REPORT_HEAD } from "./cpu-units.js";
import { count, type Invocation } from "./invocation.js";
import { renderedChanges } from "./plan-text.js";
import { runOutput, type RunResult } from "./result.js";
import { applyOrder } from "./plan-order.js";
import type { RunState } from "./state.js";
import type { RunOutput } from "./types.js";

/** What the run found and did, from what its stages persisted. Changes without an outcome this round were not attempted. */
async function resultOf(state: RunState, run: Invocation): Promise<RunResult> {
  const { ports } = run;
  if (state.invalid) return { kind: "invalid", errors: state.invalid, files: state.specFiles ?? 0, ...(state.policyNotes ? { notes: state.policyNotes } : {}) };
  const { scratch } = ports;
  const meta = await scratch.loadPlanMeta();
  const total = (await scratch.loadPlanHead()).changes;
  if (state.mode === "plan" || meta.refusals.length > 0) return { kind: "planned", plan: { ...meta, changes: await scratch.loadChanges({ offset: 0, limit: total }) }, live: state.listed };
  const all = await scratch.loadOutcomes();
  // Earlier rounds were cut off; what they finished stays reported, what they left was planned again.
  const outcomes = all.filter((r) => r.round === state.round || r.outcome.status === "done").map((r) => r.outcome);
  const current = all.filter((r) => r.round === state.round);
  // An applied plan was saved in apply order and applied from its start: the changes settled are their outcomes'
  // own (each the row it was read from), so only the rest are read back, and they were not attempted.
  if (current.every((r, i) => r.index === i)) {
    const rest = await scratch.loadChanges({ offset: current.length, limit: total - current.length });
    const plan = { ...meta, changes: [...current.map((r) => r.outcome.change), ...rest] };
    return { kind: "applied", plan, live: state.listed, report: { ok: rest.length === 0 && current.every((r) => r.outcome.status === "done"), outcomes, notAttempted: rest } };
  }
  const plan = { ...meta, changes: await scratch.loadChanges({ offset: 0, limit: total }) };
  const settled = new Set(current.map((r) => r.index));
  const notAttempted = applyOrder(plan.changes).filter((i) => !settled.has(i)).map((i) => plan.changes[i] as PlanChange);
  const ok = notAttempted.length === 0 && current.every((r) => r.outcome.status === "done");
  return { kind: "applied", plan, live: state.listed, report: { ok, outcomes, notAttempted } };
}

/**
 * The result of a run with a CPU budget (the Worker's): the plan's first REPORT_HEAD changes and their outcomes, the
 * rest counted from the tally (report-tally.ts), so the report's piece does not grow with the plan.
 */
async function boundedResultOf(state: RunState, run: Invocation): Promise<RunResult> {
  const { scratch } = run.ports;
  const tally = state.tally;
  if (state.invalid || !tally) return resultOf(state, run);
  const meta = await scratch.loadPlanMeta();
  const total = (await scratch.loadPlanHead()).changes;
  const changes = await scratch.loadChanges({ offset: 0, limit: Math.min(total, REPORT_HEAD) });
  const shown = summarize({ changes });
  const omitted = { changes: total - changes.length, create: tally.create - shown.create, update: tally.update - shown.update, delete: tally.delete - shown.delete };
  const plan = { ...meta, changes, ...(omitted.changes > 0 ? { omitted } : {}) };
  if (state.mode === "plan" || meta.refusals.length > 0) return { kind: "planned", plan, live: state.listed };
  // What earlier rounds finished stays reported (as in resultOf), within the head.
  const outcomes: ChangeOutcome[] = [];
  for (let round = 0; round < state.round && outcomes.length < REPORT_HEAD; round++) {
    for (const r of await scratch.loadOutcomes({ round, offset: 0, limit: REPORT_HEAD - outcomes.length })) if (r.outcome.status === "done") outcomes.push(r.outcome);
  }
  const current = new Map((await scratch.loadOutcomes({ round: state.round, offset: 0, limit: changes.length })).map((r) => [r.index, r.outcome]));
  for (const outcome of current.values()) outcomes.push(outcome);
  const notAttempted = changes.filter((_, i) => !current.has(i));
  const ok = tally.attempted === total && tally.failed === 0;
  return { kind: "applied", plan, live: state.listed, report: { ok, outcomes, notAttempted }, errors: tally.errors };
}

/** Builds the run's output from what the stages persisted and hands it to the reporter (a bounded result under a CPU budget). */
export async function finishRun(state: RunState, run: Invocation): Promise<RunOutput> {
  const bounded = Number.isFinite(run.ports.budget.unitLimit);
  const result = state.skipped !== undefined ? null : await (bounded ? boundedResultOf(state, run) : resultOf(state, run));
  const output = runOutput(state, result ? { result, ...(result.kind !== "invalid" ? { changes: await renderedChanges(run) } : {}) } : { status: "skipped", reason: state.skipped ?? "" });
  if (result) await run.ports.reporter?.finish?.(state, result, output);
  count(state, run);
  output.api_calls = { ...state.calls };
  if (output.progress) {
    output.progress.max_subrequests = state.max_subrequests;
    output.progress.max_work_units = state.max_work_units ?? 0;
    output.progress.work_units = state.work_units ?? 0;
  }
  return output;
}
