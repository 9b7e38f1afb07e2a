// The report stage of the run core: the result from what the stages persisted, and the output every driver reports.
import type { PlanChange } from "../plan/types.js";
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

/** Builds the run's output from what the stages persisted and hands it to the reporter. */
export async function finishRun(state: RunState, run: Invocation): Promise<RunOutput> {
  const result = state.skipped !== undefined ? null : await resultOf(state, run);
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
