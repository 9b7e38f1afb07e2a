// What a finished run found and did, as data (RunResult) and as the output every driver reports (RunOutput).
import type { ApplyReport } from "../apply/types.js";
import { renderText } from "../plan/render.js";
import { summarize, type Plan } from "../plan/types.js";
import { formatSpecError, type SpecError } from "../desired/errors.js";
import { errorLine } from "./errors.js";
import { progressOf } from "./progress.js";
import type { DeliveryResult, RunState } from "./state.js";
import type { OutcomeInfo, RunOutput } from "./types.js";

export type RunResult =
  /** Bad specs: nothing was read from ngrok and nothing applied. `notes`: the policy notes (a PR that changes the policy says so even then). */
  | { kind: "invalid"; errors: SpecError[]; files: number; notes?: string[] }
  /** Planned only: plan mode, or a refused plan (see plan.refusals). */
  | { kind: "planned"; plan: Plan; live: number }
  /** `errors`: a bounded result's failures (report-tally.ts), in place of its outcomes' (which are only the head's). */
  | { kind: "applied"; plan: Plan; live: number; report: ApplyReport; errors?: string[] };

/** How a run ended: with a result of the core, or without one. */
export type RunEnd =
  /** `changes`: plan_text's change lines rendered ahead, in pieces (plan-text.ts); left out, they are rendered here. */
  | { result: RunResult; changes?: string }
  /** The specs said there is nothing to do (e.g. credentials/ unchanged since the last apply). */
  | { status: "skipped"; reason: string }
  /** The run failed with an error (its calls so far are counted in the state). */
  | { status: "failed"; error: unknown }
  | { status: "cancelled"; reason: string }
  /** The record of `output` could not be stored: it ends failed with `reason`, kept without its plan. */
  | { status: "unrecorded"; reason: string; output: RunOutput };

/** The one place a run's output is built, whichever way it ended. The core fills in api_calls once reporting is done. */
export function runOutput(state: Readonly<RunState>, end: RunEnd): RunOutput {
  if ("result" in end || end.status === "skipped") {
    const output: RunOutput =
      "result" in end ? describe(end.result, state.sha, state.deliveries, end.changes) : { status: "skipped", sha: state.sha, summary: null, plan_text: `Nothing to apply: ${end.reason}.`, outcomes: [], errors: [], api_calls: { ngrok: 0, github: 0 } };
    output.progress = progressOf(state);
    if (state.review) {
      output.review = state.review;
      if (state.review.verdict === "held") {
        output.status = "held";
        output.errors.push(...state.review.reasons, ...state.review.missing.map((m) => `${m.name} (${m.file}) needs an approval from ${m.owners.join(" or ")}`));
      }
    }
    return output;
  }
  const bare = { summary: null, plan_text: "", outcomes: [], api_calls: { ...state.calls } };
  switch (end.status) {
    case "failed":
      return { ...bare, status: "failed", sha: state.sha ?? ("sha" in state.request ? (state.request.sha ?? null) : null), errors: [errorLine(end.error)] };
    case "cancelled":
      return { ...bare, status: "cancelled", sha: state.sha, errors: [end.reason] };
    case "unrecorded": {
      const { output } = end;
      return { ...bare, status: "failed", sha: output.sha, summary: output.summary, errors: [end.reason], api_calls: output.api_calls, ...(output.progress ? { progress: output.progress } : {}) };
    }
  }
}

function describe(result: RunResult, sha: string | null, deliveries: readonly DeliveryResult[], changes: string | undefined): RunOutput {
  const api_calls = { ngrok: 0, github: 0 };
  if (result.kind === "invalid") {
    return { status: "invalid", sha, summary: null, plan_text: "", outcomes: [], errors: result.errors.map(formatSpecError), api_calls };
  }
  const plan_text = renderText(result.plan, changes !== undefined ? { changes } : {});
  const summary = summarize(result.plan);
  if (result.kind === "planned") {
    const refused = result.plan.refusals.length > 0;
    return {
      status: refused ? "refused" : "succeeded",
      sha,
      summary,
      plan_text,
      outcomes: result.plan.changes.map((c) => ({ action: c.action, name: c.name, status: "planned", ...(c.action !== "create" ? { id: c.id } : {}) })),
      errors: [...result.plan.refusals.map((r) => `[${r.code}] ${r.message}`), ...refusedDeliveries(result.plan)],
      api_calls,
    };
  }
  const outcomes: OutcomeInfo[] = result.report.outcomes.map((o) => {
    const info: OutcomeInfo = { action: o.change.action, name: o.change.name, status: o.status };
    if (o.change.action !== "create") info.id = o.change.id;
    if (o.status === "done" && o.createdId) info.created_id = o.createdId;
    if (o.status === "failed") {
      info.error = o.compensation ? `${o.error.message}; ${o.compensation}` : o.error.message;
      if (o.error.operation_id) info.operation_id = o.error.operation_id;
    }
    return info;
  });
  for (const change of result.report.notAttempted) outcomes.push({ action: change.action, name: change.name, status: "not_attempted" });
  const errors = result.errors ? [...result.errors] : outcomes.filter((o) => o.error).map((o) => `${o.action} ${o.name}: ${o.error}`);
  const output: RunOutput = { status: result.report.ok ? "succeeded" : "failed", sha, summary, plan_text, outcomes, errors, api_calls };
  for (const d of deliveries) {
    output.outcomes.push({ action: d.action, name: d.name, status: d.status, target: d.key, ...(d.error ? { error: d.error } : {}) });
    // A refused delivery fails the run: the spec asks for something that was not done. A refused removal does not:
    // the secret is simply no longer ours, and stays.
    if (d.status === "failed" || (d.status === "refused" && d.action === "deliver")) {
      output.errors.push(`${d.action} ${d.name} -> ${d.key}: ${d.status === "refused" ? "refused: " : ""}${d.error ?? "failed"}`);
      output.status = "failed";
    }
  }
  return output;
}

/** The plan's refused deliveries as error lines (a PR's plan fails its check on them). */
export function refusedDeliveries(plan: Plan): string[] {
  return plan.deliveries.flatMap((d) => (d.action === "deliver" && d.refused ? [`[DELIVERY_REFUSED] deliver ${d.name} -> ${d.target.key}: ${d.refused}`] : []));
}
