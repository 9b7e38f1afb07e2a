// One run inside the Durable Object: read specs at a commit from GitHub, reconcile, report to GitHub and the audit log.
import type { ChangeOutcome } from "../apply/types.js";
import type { Config } from "../config.js";
import { githubTokenSource } from "../github/auth.js";
import { GitHubClient, repoPath } from "../github/client.js";
import { CHECK_NAME, openCheck, upsertPlanComment, type Annotation, type CheckResult } from "../github/feedback.js";
import { syncDriftIssue, type DriftIssueState } from "../github/drift-issue.js";
import { readSpecsAt } from "../github/specs.js";
import { NgrokClient } from "../ngrok/client.js";
import { renderMarkdown, renderText } from "../plan/render.js";
import { summarize, type Plan } from "../plan/types.js";
import { reconcile, type RunResult } from "../run/reconcile.js";
import { formatSpecError, type SpecError } from "../spec/errors.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import type { ReconcilerStorage } from "./storage.js";
import type { OutcomeInfo, RunRequest, RunStatus } from "./types.js";

export interface RunContext {
  env: Env;
  config: Config;
  storage: ReconcilerStorage;
  runId: number;
  /** Tests and `npm start` inject loopback fetches; production uses the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
}

export interface RunOutput {
  status: RunStatus;
  sha: string | null;
  summary: ReturnType<typeof summarize> | null;
  plan_text: string;
  outcomes: OutcomeInfo[];
  errors: string[];
  api_calls: { ngrok: number; github: number };
}

export const APPLY_CHECK_NAME = "ngrok-gitops/apply";

export async function executeRun(request: RunRequest, ctx: RunContext): Promise<RunOutput> {
  const { env, config, storage } = ctx;
  const github = new GitHubClient({ baseUrl: config.githubApiUrl, token: githubTokenSource(env, config.githubApiUrl, config.repository) });
  const ngrok = new NgrokClient({ baseUrl: config.ngrokApiUrl, apiKey: env.NGROK_API_KEY });
  const calls = () => ({ ngrok: ngrok.stats.requests, github: github.requests });
  const base = { outcomes: [] as OutcomeInfo[], errors: [] as string[] };

  if (request.mode === "plan" && request.pr !== undefined && request.sha) {
    return planPullRequest(request, request.sha, request.pr, ctx, github, ngrok, calls);
  }

  const repo = repoPath(config.repository);
  const { default_branch } = await github.request<{ default_branch: string }>("GET", repo);
  const branch = await github.request<{ commit: { sha: string } }>("GET", `${repo}/branches/${encodeURIComponent(default_branch)}`);
  const head = branch.commit.sha;
  const snapshot = await readSpecsAt(github, config.repository, head, storage.blobCache());
  const lastApplied = storage.getState("last_applied");
  const applied = lastApplied ? (JSON.parse(lastApplied) as { sha: string; tree: string }) : null;
  if (request.cause === "push" && applied && applied.tree === snapshot.treeSha) {
    const why = request.sha && request.sha !== head ? `${short(request.sha)} is not the head of ${default_branch} (${short(head)})` : `credentials/ is unchanged since ${short(applied.sha)}`;
    return { ...base, status: "skipped", sha: head, summary: null, plan_text: `Nothing to apply: ${why}.`, api_calls: calls() };
  }
  const mode = request.mode === "apply" && !(request.cause === "cron" && config.driftMode === "report") ? "apply" : "plan";
  // Pushes and manual applies get their check at once, so a run that fails later still completes it as failed.
  // Cron ticks only post when they find something (a quiet tick posts nothing).
  const check = request.cause !== "cron" && mode === "apply" ? await openCheck(github, config.repository, head, APPLY_CHECK_NAME, checkKind(env)) : null;
  try {
    const vault = new TokenVault(new KvTokenStore(env.TOKENS), await keyringFor(env.TOKEN_ENCRYPTION_KEYS));
    const audit = (outcome: ChangeOutcome) => auditOutcome(ctx, request, head, outcome);
    const result = await reconcile(
      snapshot.sources,
      { ownerId: config.ownerId, maxDeletes: config.maxDeletes, allowDeletes: request.allowDeletes ?? false, mode },
      { ngrok, vault, intents: storage.intentLog(), onOutcome: audit },
    );
    const output = describe(result, head, calls());
    if (request.cause === "cron") await reportDrift(github, config.repository, storage, result, mode);
    if (result.kind === "applied" && result.report.ok) storage.setState("last_applied", JSON.stringify({ sha: head, tree: snapshot.treeSha, at: new Date().toISOString() }));
    const quiet = result.kind !== "invalid" && result.plan.changes.length === 0 && result.plan.refusals.length === 0;
    const reporter = check ?? (mode === "apply" && !quiet ? await openCheck(github, config.repository, head, APPLY_CHECK_NAME, checkKind(env)) : null);
    if (reporter) await reporter.complete(applyVerdict(output, result));
    output.api_calls = calls();
    return output;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await check?.complete({ conclusion: "failure", title: "The apply could not run", summary: `ngrok-gitops could not apply ${short(head)}:\n\n> ${reason}\n\nThe next push or cron tick retries.` });
    throw error;
  }
}

async function planPullRequest(
  request: RunRequest,
  sha: string,
  pr: number,
  ctx: RunContext,
  github: GitHubClient,
  ngrok: NgrokClient,
  calls: () => { ngrok: number; github: number },
): Promise<RunOutput> {
  const { config, storage } = ctx;
  const check = await openCheck(github, config.repository, sha, CHECK_NAME, checkKind(ctx.env));
  try {
    const snapshot = await readSpecsAt(github, config.repository, sha, storage.blobCache());
    // Read-only: the vault and the intent log are only read, and reconcile in plan mode makes GET calls only.
    const vault = new TokenVault(new KvTokenStore(ctx.env.TOKENS), await keyringFor(ctx.env.TOKEN_ENCRYPTION_KEYS));
    const result = await reconcile(snapshot.sources, { ownerId: config.ownerId, maxDeletes: config.maxDeletes, mode: "plan" }, { ngrok, vault, intents: storage.intentLog() });
    const output = describe(result, sha, calls());
    const title = `ngrok-gitops plan for ${short(sha)}`;
    let body: string;
    let verdict: CheckResult;
    if (result.kind === "invalid") {
      body = `${invalidMarkdown(result.errors, title)}`;
      verdict = { conclusion: "failure", title: `${result.errors.length} invalid spec${result.errors.length === 1 ? "" : "s"}: nothing would be applied`, summary: body, annotations: annotations(result.errors) };
    } else {
      body = renderMarkdown(result.plan, { title });
      const refused = result.plan.refusals.length > 0;
      const counts = summarize(result.plan);
      verdict = {
        conclusion: refused ? "failure" : "success",
        title: refused ? `Plan refused: ${result.plan.refusals.map((r) => r.code).join(", ")}` : `${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete`,
        summary: body,
      };
    }
    await upsertPlanComment(github, config.repository, pr, body);
    await check.complete(verdict);
    output.api_calls = calls();
    return output;
  } catch (error) {
    // Never leave the check pending: complete it as failed with the reason, then report the run as failed.
    const reason = error instanceof Error ? error.message : String(error);
    await check.complete({ conclusion: "failure", title: "The plan could not be computed", summary: `ngrok-gitops could not plan this commit:\n\n> ${reason}\n\nPush again or re-run to retry.` });
    throw error;
  }
}

function applyVerdict(output: RunOutput, result: RunResult): CheckResult {
  const ok = output.status === "succeeded";
  const title = ok
    ? output.summary
      ? `Applied: ${output.summary.create} created, ${output.summary.update} updated, ${output.summary.delete} deleted`
      : "Applied"
    : `Not applied: ${output.status}`;
  const body = result.kind === "invalid" ? invalidMarkdown(result.errors, title) : `### ${title}\n\n\`\`\`\n${output.plan_text}\n\`\`\`\n${output.errors.map((e) => `- ${e}`).join("\n")}`;
  const verdict: CheckResult = { conclusion: ok ? "success" : "failure", title, summary: body };
  if (result.kind === "invalid") verdict.annotations = annotations(result.errors);
  return verdict;
}

/** Only GitHub Apps may write check runs; with a plain token the result goes into a commit status. */
function checkKind(env: Env): "check-run" | "status" {
  return env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY ? "check-run" : "status";
}

function describe(result: RunResult, sha: string, api_calls: RunOutput["api_calls"]): RunOutput {
  if (result.kind === "invalid") {
    return { status: "invalid", sha, summary: null, plan_text: "", outcomes: [], errors: result.errors.map(formatSpecError), api_calls };
  }
  const plan_text = renderText(result.plan);
  const summary = summarize(result.plan);
  if (result.kind === "planned") {
    const refused = result.plan.refusals.length > 0;
    return {
      status: refused ? "refused" : "succeeded",
      sha,
      summary,
      plan_text,
      outcomes: result.plan.changes.map((c) => ({ action: c.action, name: c.name, status: "planned", ...(c.action !== "create" ? { id: c.id } : {}) })),
      errors: result.plan.refusals.map((r) => `[${r.code}] ${r.message}`),
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
  const errors = outcomes.filter((o) => o.error).map((o) => `${o.action} ${o.name}: ${o.error}`);
  return { status: result.report.ok ? "succeeded" : "failed", sha, summary, plan_text, outcomes, errors, api_calls };
}

function auditOutcome(ctx: RunContext, request: RunRequest, sha: string, outcome: ChangeOutcome): void {
  const change = outcome.change;
  const detail: Record<string, unknown> = {};
  if (change.action === "update" || change.action === "import" || change.action === "replace") detail.fields = change.fields.map((f) => ({ field: f.field, before: f.before, after: f.after }));
  if (change.action === "delete") detail.reason = change.reason;
  if (change.action !== "create") detail.id = change.id;
  if (outcome.status === "done" && outcome.createdId) detail.created_id = outcome.createdId;
  if (outcome.status === "failed") {
    detail.error = { code: outcome.error.code, message: outcome.error.message, status_code: outcome.error.status_code };
    if (outcome.compensation) detail.compensation = outcome.compensation;
  }
  ctx.storage.audit({
    run_id: ctx.runId,
    kind: "change",
    cause: request.cause,
    sha,
    delivery: request.delivery ?? null,
    actor: request.actor ?? null,
    name: change.name,
    action: change.action,
    result: outcome.status,
    operation_id: outcome.status === "failed" ? (outcome.error.operation_id ?? null) : null,
    detail,
  });
}

/** Drift is what a cron tick finds to change: kept for /api/status and shown in one GitHub issue. */
async function reportDrift(github: GitHubClient, repository: string, storage: ReconcilerStorage, result: RunResult, mode: "plan" | "apply"): Promise<void> {
  if (result.kind === "invalid") return;
  const changes = result.plan.changes.length;
  storage.setState("drift", JSON.stringify({ detected: changes > 0, at: new Date().toISOString(), changes }));
  const previousText = storage.getState("drift_issue") || null;
  const previous = previousText ? (JSON.parse(previousText) as DriftIssueState) : null;
  let drift: { body: string } | null = null;
  if (changes > 0) {
    const verdict =
      mode === "apply"
        ? result.kind === "applied" && result.report.ok
          ? "It was corrected (DRIFT_MODE=correct); this issue closes at the next tick that finds none."
          : "Correcting it failed; see /api/status and the audit log."
        : "DRIFT_MODE=report: nothing was changed. Merge a spec change, or run a reconcile, to converge.";
    drift = { body: `The cron found the ngrok account different from the specs on the default branch.\n\n${verdict}\n\n${renderMarkdown(result.plan, { title: "Drift" })}` };
  }
  const next = await syncDriftIssue(github, repository, previous, drift);
  if (next) storage.setState("drift_issue", JSON.stringify(next));
  else if (previous) storage.setState("drift_issue", "");
}

function invalidMarkdown(errors: SpecError[], title: string): string {
  const lines = errors.map((e) => `- \`${e.file}:${e.line}:${e.column}\` ${e.field ? `**${e.field}**: ` : ""}${e.message.replace(/[<>]/g, "")}`);
  return `### ${title}\n\n**The specs are invalid: nothing will be applied.**\n\n${lines.join("\n")}\n`;
}

function annotations(errors: SpecError[]): Annotation[] {
  return errors.map((e) => ({
    path: e.file,
    start_line: e.line,
    end_line: e.line,
    annotation_level: "failure",
    title: e.field || e.code,
    message: e.message,
  }));
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

export { CHECK_NAME };
