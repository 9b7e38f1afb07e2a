// The Worker's reporter for the run core: check runs or statuses, the PR comment, the drift issue; each outcome into the audit log.
import type { ChangeOutcome } from "../apply/types.js";
import type { Config } from "../config.js";
import type { GitHubClient } from "./client.js";
import { syncDriftIssue } from "./drift-issue.js";
import { CHECK_NAME, completeCheckRun, setCommitStatus, startCheckRun, type CheckResult } from "./feedback.js";
import { upsertPlanComment } from "./feedback.js";
import type { NgrokCall } from "../ngrok/client.js";
import { expiringMarkdown } from "../plan/expiry.js";
import { renderApplyMarkdown, renderMarkdown } from "../plan/render.js";
import { renderInvalidMarkdown, specErrorAnnotations } from "../plan/render-errors.js";
import { isStillHead } from "./pulls.js";
import { summarize, type Plan } from "../plan/types.js";
import type { Reporter } from "../run/ports.js";
import type { RunResult } from "../run/result.js";
import type { DeliveryResult, RunState } from "../run/state.js";
import type { ReviewOutcome, RunOutput, RunRequest } from "../run/types.js";
import { code, showHidden } from "../plan/inert.js";
import { auditDelivery, auditOutcome } from "../reconciler/audit.js";
import type { ReconcilerStorage } from "../reconciler/storage.js";
import { reportOutcome } from "./outcome-comment.js";
import type { Budget } from "../run/budget.js";

export const APPLY_CHECK_NAME = "ngrok-gitops/apply";

type CheckHandle = { kind: "check-run"; id: number } | { kind: "status" };

export interface ReporterInput {
  github: GitHubClient;
  storage: ReconcilerStorage;
  config: Config;
  writes: ReadonlyMap<string, NgrokCall[]>;
  checkKind: "check-run" | "status";
  /** The invocation's subrequests: the outcome section is written only with room for it. */
  budget?: Budget;
}

export class GitHubReporter implements Reporter {
  constructor(private readonly input: ReporterInput) {}

  /** Pull requests and pushes/manual applies get their check at once, so a failure later still completes it. */
  async started(state: RunState): Promise<void> {
    const { github, config, checkKind } = this.input;
    if (state.request.cause === "cron" || state.check || !state.sha) return;
    state.check = await openCheck(github, config.repository, state.sha, checkName(state.request), checkKind);
  }

  outcome(state: Readonly<RunState>, outcome: ChangeOutcome): void {
    auditOutcome(this.input.storage.audit, state, outcome, this.input.writes);
  }

  delivery(state: Readonly<RunState>, result: DeliveryResult, id: string | null): void {
    auditDelivery(this.input.storage.audit, state, result, id);
  }

  async failed(state: RunState, error: unknown): Promise<void> {
    const check = state.check as CheckHandle | null;
    if (!check || !state.sha) return;
    const reason = error instanceof Error ? error.message : String(error);
    const title = state.request.mode === "plan" ? "The plan could not be computed" : "The apply could not run";
    // The run's own error is the one to report; failing to complete the check must not hide it.
    await closeCheck(this.input.github, this.input.config.repository, state.sha, check, state.request, {
      conclusion: "failure",
      title,
      summary: `ngrok-gitops could not ${state.request.mode} ${short(state.sha)}:\n\n> ${reason}\n\nThe next push or cron tick retries.`,
    }).catch(() => undefined);
  }

  async finish(state: RunState, result: RunResult, output: RunOutput): Promise<void> {
    const { github, storage, config, checkKind } = this.input;
    const request = state.request;
    const sha = state.sha ?? "";
    if (request.cause === "pull_request") {
      // Remember what was reviewed for this credentials/ tree, so the apply after the merge can say whether it matches.
      // The fingerprint was tallied from the saved plan a piece at a time (src/run/report-tally.ts), not from result.plan (a bounded head).
      if (result.kind === "planned" && state.tree !== null && state.tally?.fingerprint) storage.state.setReviewed(state.tree, { pr: request.pr, sha, fingerprint: state.tally.fingerprint });
      const title = `ngrok-gitops plan for ${short(sha)}`;
      // A policy change shows even when the specs fail: the reviewer must see it whatever else is wrong.
      const body = result.kind === "invalid" ? renderInvalidMarkdown(result.errors, title, { notes: result.notes ?? [] }) : renderMarkdown(result.plan, { title });
      // A replayed or slow run for an old head must not overwrite the comment with a stale plan; its check (on its own commit) still completes.
      if (await isStillHead(github, config.repository, request.pr, sha)) {
        const comment = await upsertPlanComment(github, config.repository, request.pr, body, storage.state.planComment(request.pr));
        storage.state.setPlanComment(request.pr, comment.id);
      }
      else output.errors.push(`${short(sha)} is no longer the head of #${request.pr}: the plan comment was left as it is`);
      if (state.check) await closeCheck(github, config.repository, sha, state.check as CheckHandle, request, planVerdict(result, body));
    } else {
      const reviewed = state.tree !== null ? storage.state.reviewed(state.tree) : null;
      if (reviewed && result.kind === "applied") {
        // One stored by an older version (its sorted lines, or their `sha256:` digest) is of another format: never a match.
        const fingerprint = state.tally?.fingerprint;
        output.reviewed = { pr: reviewed.pr, sha: reviewed.sha, matches: fingerprint !== undefined && reviewed.fingerprint === fingerprint };
      }
      if (output.status === "held" && output.review) storage.state.set("held", { sha, at: new Date().toISOString(), pr: output.review.pr, reasons: output.review.reasons, missing: output.review.missing });
      if (request.cause === "cron") await reportDrift(github, config.repository, storage, result, state.mode, config.expiryWarningMs);
      const quiet = output.status !== "held" && result.kind !== "invalid" && result.plan.changes.length === 0 && result.plan.refusals.length === 0;
      let check = state.check as CheckHandle | null;
      if (!check && state.mode === "apply" && !quiet && sha) check = await openCheck(github, config.repository, sha, APPLY_CHECK_NAME, checkKind);
      if (check) await closeCheck(github, config.repository, sha, check, request, output.status === "held" && output.review ? heldVerdict(sha, output.review) : applyVerdict(output, result));
      if (!quiet) await reportOutcome({ github, repository: config.repository, storage, ...(this.input.budget ? { budget: this.input.budget } : {}) }, state, output);
    }
    if (result.kind === "applied" && result.report.ok && state.tree !== null) {
      // A newly applied commit (a later reviewed one, or the released one) supersedes the held one.
      if (storage.state.get("last_applied")?.sha !== sha) storage.state.set("held", null);
      storage.state.set("last_applied", { sha, tree: state.tree, at: new Date().toISOString() });
      storage.state.set("applied_review", { sha, approvals: state.approvals ?? null });
    }
  }
}

function checkName(request: RunRequest): string {
  return request.cause === "pull_request" ? CHECK_NAME : APPLY_CHECK_NAME;
}

function planVerdict(result: RunResult, body: string): CheckResult {
  if (result.kind === "invalid") {
    return { conclusion: "failure", title: `${result.errors.length} invalid spec${result.errors.length === 1 ? "" : "s"}: nothing would be applied`, summary: body, annotations: specErrorAnnotations(result.errors) };
  }
  const refused = result.plan.refusals.length > 0;
  const counts = summarize(result.plan);
  // A delivery target that is not ours to overwrite fails the check too: merged, it would not be delivered.
  const targets = result.plan.deliveries.filter((d) => d.action === "deliver" && d.refused).length;
  return {
    conclusion: refused || targets > 0 ? "failure" : "success",
    title: refused
      ? `Plan refused: ${result.plan.refusals.map((r) => r.code).join(", ")}`
      : targets > 0
        ? `${targets} delivery target${targets === 1 ? "" : "s"} refused: the secret is not ngrok-gitops's to overwrite`
        : `${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete`,
    summary: body,
  };
}

async function openCheck(github: GitHubClient, repository: string, sha: string, name: string, kind: "check-run" | "status"): Promise<CheckHandle> {
  if (kind === "check-run") return { kind, id: await startCheckRun(github, repository, sha, name) };
  await setCommitStatus(github, repository, sha, { state: "pending", description: "running", context: name });
  return { kind };
}

async function closeCheck(github: GitHubClient, repository: string, sha: string, check: CheckHandle, request: RunRequest, result: CheckResult): Promise<void> {
  if (check.kind === "check-run") return completeCheckRun(github, repository, check.id, result);
  return setCommitStatus(github, repository, sha, { state: result.conclusion === "failure" || result.conclusion === "action_required" ? "failure" : "success", description: result.title, context: checkName(request) });
}

/** A held commit's check: action_required, naming per credential whose approval is missing. */
function heldVerdict(sha: string, review: ReviewOutcome): CheckResult {
  const lines = [`Nothing of ${short(sha)} was applied: ngrok-gitops applies only reviewed changes (policy \`review:\`).`, "", ...review.reasons.map((r) => `- ${showHidden(r)}`)];
  if (review.missing.length > 0) {
    lines.push("", "| credential | file | approval missing from |", "|---|---|---|");
    for (const m of review.missing) lines.push(`| ${code(m.name)} | ${code(m.file)} | ${m.owners.map((o) => showHidden(o).replace(/\|/g, "\\|")).join(" or ")} |`);
  }
  lines.push("", "Until then the cron keeps the account at the last applied commit. A later reviewed commit supersedes this one; an operator can release it with `POST /api/reconcile {\"release\":\"<sha>\"}`.");
  return { conclusion: "action_required", title: `Held: ${review.missing.length > 0 ? `${review.missing.length} credential approval${review.missing.length === 1 ? "" : "s"} missing` : "not reviewed"}`, summary: lines.join("\n") };
}

function applyVerdict(output: RunOutput, result: RunResult): CheckResult {
  const ok = output.status === "succeeded";
  const title = ok
    ? output.summary
      ? `Applied: ${output.summary.create} created, ${output.summary.update} updated, ${output.summary.delete} deleted`
      : "Applied"
    : `Not applied: ${output.status}`;
  const review = output.reviewed
    ? output.reviewed.matches
      ? `This is exactly the plan reviewed in #${output.reviewed.pr} (${short(output.reviewed.sha)}).\n\n`
      : `**This differs from the plan reviewed in #${output.reviewed.pr} (${short(output.reviewed.sha)}):** the account changed between review and merge.\n\n`
    : "";
  // The check is public: the plan in its public rendering (nothing about credentials we do not own), errors as inert text.
  const body = result.kind === "invalid" ? renderInvalidMarkdown(result.errors, title) : renderApplyMarkdown({ title, plan: result.plan, ...(review ? { review: review.trimEnd() } : {}), errors: output.errors });
  const verdict: CheckResult = { conclusion: ok ? "success" : "failure", title, summary: body };
  if (result.kind === "invalid") verdict.annotations = specErrorAnnotations(result.errors);
  return verdict;
}

/** Drift is what a cron tick finds to change: kept for /api/status and shown in one GitHub issue. */
async function reportDrift(github: GitHubClient, repository: string, storage: ReconcilerStorage, result: RunResult, mode: "plan" | "apply", expiryWarningMs: number): Promise<void> {
  if (result.kind === "invalid") return;
  const changes = result.plan.changes.length + (result.plan.omitted?.changes ?? 0);
  const expiring = result.plan.expiring ?? [];
  storage.state.set("drift", { detected: changes > 0, at: new Date().toISOString(), changes });
  const previous = storage.state.get("drift_issue");
  let drift: { body: string } | null = null;
  const parts: string[] = [];
  if (changes > 0) {
    const verdict =
      mode === "apply"
        ? result.kind === "applied" && result.report.ok
          ? "It was corrected (DRIFT_MODE=correct); this issue closes at the next tick that finds none."
          : "Correcting it failed; see /api/status and the audit log."
        : "DRIFT_MODE=report: nothing was changed. Merge a spec change, or run a reconcile, to converge.";
    parts.push(`The cron found the ngrok account different from the specs on the default branch.\n\n${verdict}\n\n${renderMarkdown(result.plan, { title: "Drift" })}`);
  }
  // Owners renew in time by moving the date in a pull request; the issue stays open while anything is about to expire.
  if (expiring.length > 0) parts.push(`### Expiring soon\n\nThese credentials expire within ${Math.round(expiryWarningMs / 86_400_000)} days; move \`expires\` in a pull request to keep one.\n\n${expiringMarkdown(expiring, expiryWarningMs)}`);
  const held = storage.state.get("held");
  if (held) parts.push(`### Held commit\n\n${short(held.sha)}${held.pr !== null ? ` (#${held.pr})` : ""} is not applied: ${held.reasons.map(showHidden).join("; ")}. The cron corrects toward the last applied reviewed commit until a reviewed commit supersedes it or an operator releases it.`);
  if (parts.length > 0) drift = { body: parts.join("\n\n") };
  const next = await syncDriftIssue(github, repository, previous, drift);
  if (next) storage.state.set("drift_issue", next);
  else if (previous) storage.state.set("drift_issue", null);
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
