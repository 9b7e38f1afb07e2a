// One run inside the Durable Object: read specs at a commit from GitHub, reconcile, report to GitHub and the audit log.
import { applyPlan } from "../apply/apply.js";
import type { ChangeOutcome } from "../apply/types.js";
import type { Config } from "../config.js";
import { githubTokenSource } from "../github/auth.js";
import { GitHubClient, repoPath } from "../github/client.js";
import { CHECK_NAME, completeCheckRun, setCommitStatus, startCheckRun, upsertPlanComment, type Annotation, type CheckResult } from "../github/feedback.js";
import { syncDriftIssue, type DriftIssueState } from "../github/drift-issue.js";
import { deleteActionsSecret, putActionsSecret, type ActionsSecretTarget, type PublicKeyCache } from "../github/secrets.js";
import { readSpecsAt } from "../github/specs.js";
import { NgrokClient, type NgrokCall } from "../ngrok/client.js";
import { renderMarkdown, renderText } from "../plan/render.js";
import { summarize, type Delivery, type Plan } from "../plan/types.js";
import { makePlan } from "../plan/plan.js";
import type { RunResult } from "../run/reconcile.js";
import { loadSpecs } from "../spec/load.js";
import { formatSpecError, type SpecError } from "../spec/errors.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import { SubrequestBudget } from "./budget.js";
import type { ReconcilerStorage } from "./storage.js";
import type { OutcomeInfo, RunRequest, RunStatus } from "./types.js";

export interface RunOutput {
  status: RunStatus;
  sha: string | null;
  summary: ReturnType<typeof summarize> | null;
  plan_text: string;
  outcomes: OutcomeInfo[];
  errors: string[];
  api_calls: { ngrok: number; github: number };
  progress?: { stage: string; listed: number; changes: number; applied: number; invocations: number; max_subrequests: number };
  /** For an apply whose credentials/ tree was planned on a pull request: whether it did what was reviewed. */
  reviewed?: { pr: number; sha: string; matches: boolean };
}

export const APPLY_CHECK_NAME = "ngrok-gitops/apply";

/** Subrequests kept back for reporting to GitHub at the end of a run (comment, check, status, drift issue). */
export const REPORT_RESERVE = 8;
/** Budget a change is planned to cost (a replace is two calls); retries beyond it come out of the reserve. */
const CALLS_PER_CHANGE = 2;

/**
 * A run in progress, persisted between invocations. A run that needs more subrequests than one invocation
 * allows (MAX_SUBREQUESTS, 50 on Workers Free) yields and continues from the next alarm: the live listing
 * and the changes are applied in chunks, and the state below says where to pick up.
 */
export interface ActiveRun {
  runId: number;
  key: string;
  request: RunRequest;
  stage: "start" | "list" | "plan" | "apply" | "deliver" | "report";
  mode: "plan" | "apply";
  sha: string | null;
  tree: string | null;
  check: { kind: "check-run"; id: number } | { kind: "status" } | null;
  /** null: list from the first page; "end": the listing is complete. */
  cursor: string | null;
  listed: number;
  total: number;
  applied: number;
  /** Deliveries done so far (index into plan.deliveries), and how each went. */
  delivered: number;
  deliveries: DeliveryResult[];
  invocations: number;
  /** The most subrequests any invocation of this run used. */
  max_subrequests: number;
  skipped?: string;
  invalid?: SpecError[];
  calls: { ngrok: number; github: number };
}

export interface DeliveryResult {
  action: "deliver" | "undeliver";
  name: string;
  key: string;
  status: "done" | "failed";
  error?: string;
}

export interface StepDeps {
  env: Env;
  config: Config;
  storage: ReconcilerStorage;
  budget: SubrequestBudget;
}

export function newActiveRun(runId: number, key: string, request: RunRequest, config: Config): ActiveRun {
  const mode = request.mode === "apply" && !(request.cause === "cron" && config.driftMode === "report") ? "apply" : "plan";
  return { runId, key, request, stage: "start", mode, sha: null, tree: null, check: null, cursor: null, listed: 0, total: 0, applied: 0, delivered: 0, deliveries: [], invocations: 0, max_subrequests: 0, calls: { ngrok: 0, github: 0 } };
}

/**
 * Advances a run as far as this invocation's budget allows. Returns the finished run's output, or null when
 * the run yielded (its state is saved; call again from the next invocation).
 */
export async function advanceRun(active: ActiveRun, deps: StepDeps): Promise<RunOutput | null> {
  const { env, config, storage, budget } = deps;
  const github = new GitHubClient({ baseUrl: config.githubApiUrl, token: githubTokenSource(env, config.githubApiUrl, config.repository, budget.fetch), fetch: budget.fetch });
  // Every write's answer (status and ngrok's operation id) goes into the audit entry of the change it served.
  const writes = new Map<string, NgrokCall[]>();
  const onResponse = (call: NgrokCall) => {
    if (call.method === "GET" || call.credential_id === null) return;
    writes.set(call.credential_id, [...(writes.get(call.credential_id) ?? []), call]);
  };
  const ngrok = new NgrokClient({ baseUrl: config.ngrokApiUrl, apiKey: env.NGROK_API_KEY, fetch: budget.fetch, onResponse });
  active.invocations++;
  const save = () => {
    active.calls = { ngrok: active.calls.ngrok + ngrok.stats.requests, github: active.calls.github + github.requests };
    ngrok.resetStats();
    github.requests = 0;
    active.max_subrequests = Math.max(active.max_subrequests, budget.used);
    storage.saveActive(active);
  };
  try {
    const output = await step(active, { ...deps, writes }, github, ngrok);
    save();
    return output;
  } catch (error) {
    save();
    if (budget.refused && active.stage !== "apply") return null;
    const reason = error instanceof Error ? error.message : String(error);
    if (active.check && active.sha) {
      const title = active.request.mode === "plan" ? "The plan could not be computed" : "The apply could not run";
      await closeCheck(github, config.repository, active.sha, active.check, active.request, {
        conclusion: "failure",
        title,
        summary: `ngrok-gitops could not ${active.request.mode} ${short(active.sha)}:\n\n> ${reason}\n\nThe next push or cron tick retries.`,
        // The run's own error is the one to report; failing to complete the check must not hide it.
      }).catch(() => undefined);
    }
    throw error;
  }
}

async function step(active: ActiveRun, deps: StepDeps & { writes: ReadonlyMap<string, NgrokCall[]> }, github: GitHubClient, ngrok: NgrokClient): Promise<RunOutput | null> {
  const { env, config, storage, budget } = deps;
  const request = active.request;
  const vault = new TokenVault(new KvTokenStore(env.TOKENS), await keyringFor(env.TOKEN_ENCRYPTION_KEYS));
  if (active.stage === "start") {
    let sha = request.sha ?? null;
    let branch: string | null = null;
    if (request.mode === "apply" || !sha) {
      const repo = repoPath(config.repository);
      branch = (await github.request<{ default_branch: string }>("GET", repo)).default_branch;
      sha = (await github.request<{ commit: { sha: string } }>("GET", `${repo}/branches/${encodeURIComponent(branch)}`)).commit.sha;
    }
    active.sha = sha;
    const snapshot = await readSpecsAt(github, config.repository, sha, storage.blobCache());
    active.tree = snapshot.treeSha;
    const lastApplied = storage.getState("last_applied");
    const applied = lastApplied ? (JSON.parse(lastApplied) as { sha: string; tree: string }) : null;
    if (request.cause === "push" && applied && applied.tree === snapshot.treeSha) {
      active.skipped = request.sha && request.sha !== sha ? `${short(request.sha)} is not the head of ${branch ?? "the default branch"} (${short(sha)})` : `credentials/ is unchanged since ${short(applied.sha)}`;
      return finish(active, deps, github);
    }
    // Pull requests and pushes/manual applies get their check at once, so a failure later still completes it.
    if (request.cause !== "cron" && !active.check) {
      const name = request.mode === "plan" && request.pr !== undefined ? CHECK_NAME : APPLY_CHECK_NAME;
      active.check = await openCheckHandle(github, config.repository, sha, name, checkKind(env));
      storage.saveActive(active);
    }
    storage.saveSources(snapshot.sources);
    const loaded = loadSpecs(snapshot.sources, { ownerId: config.ownerId, cache: storage.specCache() });
    if (!loaded.ok) {
      active.invalid = loaded.errors;
      active.stage = "report";
    } else active.stage = "list";
  }
  if (active.stage === "list") {
    if (active.cursor === null) storage.clearLive();
    while (active.cursor !== "end") {
      if (budget.remaining() <= REPORT_RESERVE) return null;
      const page = await ngrok.listPage(active.cursor);
      storage.addLive(page.credentials);
      active.listed += page.credentials.length;
      active.cursor = page.next ?? "end";
      storage.saveActive(active);
    }
    active.stage = "plan";
  }
  if (active.stage === "plan") {
    const sources = storage.loadSources();
    const loaded = loadSpecs(sources, { ownerId: config.ownerId, cache: storage.specCache() });
    if (!loaded.ok) throw new Error("internal: specs validated at the start no longer validate");
    const plan = makePlan({
      ownerId: config.ownerId,
      specs: loaded.specs,
      live: storage.loadLive(),
      stored: await vault.ids(),
      intents: await storage.intentLog().list(),
      specFiles: loaded.files,
      maxDeletes: config.maxDeletes,
      allowDeletes: request.allowDeletes ?? false,
      rotationGraceMs: config.rotationGraceMs,
      ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}),
      rotateNow: new Set(request.rotate ?? []),
      delivered: storage.delivered(),
    });
    storage.savePlan(plan);
    active.total = plan.changes.length;
    active.applied = 0;
    const applying = active.mode === "apply" && plan.refusals.length === 0;
    active.stage = applying && plan.changes.length > 0 ? "apply" : applying && plan.deliveries.length > 0 ? "deliver" : "report";
    if (active.mode === "apply" && plan.refusals.length === 0 && plan.changes.length === 0) {
      for (const intent of plan.staleIntents) await storage.intentLog().close(intent);
    }
    storage.saveActive(active);
  }
  if (active.stage === "apply") {
    const plan = storage.loadPlan();
    while (active.applied < active.total) {
      const room = Math.floor((budget.remaining() - REPORT_RESERVE) / CALLS_PER_CHANGE);
      if (room < 1) return null;
      const chunk = plan.changes.slice(active.applied, active.applied + room);
      const report = await applyPlan(
        { ...plan, changes: chunk, staleIntents: active.applied === 0 ? plan.staleIntents : [] },
        { ngrok, vault, intents: storage.intentLog(), stored: await vault.ids(), onOutcome: (outcome) => auditOutcome(storage, active, outcome, deps.writes) },
      );
      storage.addOutcomes(active.applied, report.outcomes);
      active.applied += report.outcomes.length;
      storage.saveActive(active);
      if (!report.ok) break;
    }
    // Tokens are delivered only once every change went through.
    active.stage = active.applied === active.total && storage.loadOutcomes().every((o) => o.status === "done") ? "deliver" : "report";
  }
  if (active.stage === "deliver") {
    const plan = storage.loadPlan();
    const keys: PublicKeyCache = new Map();
    while (active.delivered < plan.deliveries.length) {
      // A delivery costs a public-key fetch (once per repository) and a PUT or DELETE.
      if (budget.remaining() - REPORT_RESERVE < 2) return null;
      const delivery = plan.deliveries[active.delivered] as Delivery;
      active.deliveries.push(await deliver(delivery, github, vault, storage, keys, active));
      active.delivered++;
      storage.saveActive(active);
    }
    active.stage = "report";
  }
  return finish(active, deps, github);
}

/**
 * Pushes the stored token to one target (or deletes the secret we created there), recording it so later runs
 * know what each target holds. A failure is recorded and retried by the next run from the stored token.
 */
async function deliver(delivery: Delivery, github: GitHubClient, vault: TokenVault, storage: ReconcilerStorage, keys: PublicKeyCache, active: ActiveRun): Promise<DeliveryResult> {
  const t = delivery.target;
  const target: ActionsSecretTarget =
    t.kind === "org" ? { org: t.org, name: t.secret, visibility: t.visibility } : { repo: t.repo, name: t.secret, ...(t.environment ? { environment: t.environment } : {}) };
  const result: DeliveryResult = { action: delivery.action, name: delivery.name, key: delivery.target.key, status: "done" };
  let id: string | null = null;
  try {
    if (delivery.action === "deliver") {
      const token = await vault.read(delivery.name);
      if (!token) throw new Error(`no stored token for "${delivery.name}" (imported, or lost with the vault): rotate it to deliver one`);
      id = token.id;
      await putActionsSecret(github, target, token.token, keys);
      storage.recordDelivery({ key: delivery.target.key, name: delivery.name, id: token.id });
    } else {
      await deleteActionsSecret(github, target);
      storage.forgetDelivery(delivery.target.key, delivery.name);
    }
  } catch (error) {
    result.status = "failed";
    result.error = error instanceof Error ? error.message : String(error);
  }
  storage.audit({
    run_id: active.runId,
    kind: "delivery",
    cause: active.request.cause,
    sha: active.sha,
    delivery: active.request.delivery ?? null,
    actor: active.request.actor ?? null,
    name: delivery.name,
    action: delivery.action,
    result: result.status,
    operation_id: null,
    detail: { target: delivery.target.key, ...(id ? { id } : {}), ...(result.error ? { error: result.error } : {}) },
  });
  return result;
}

/** Builds the run's result from what the stages stored, reports it to GitHub, and closes the run. */
async function finish(active: ActiveRun, deps: StepDeps, github: GitHubClient): Promise<RunOutput> {
  const { config, storage } = deps;
  const request = active.request;
  const sha = active.sha ?? "";
  const calls = () => ({ ngrok: active.calls.ngrok, github: active.calls.github + github.requests });
  if (active.skipped) return { status: "skipped", sha, summary: null, plan_text: `Nothing to apply: ${active.skipped}.`, outcomes: [], errors: [], api_calls: calls(), progress: progress(active) };
  let result: RunResult;
  if (active.invalid) result = { kind: "invalid", errors: active.invalid, files: 0 };
  else {
    const plan = storage.loadPlan();
    if (active.mode === "plan" || plan.refusals.length > 0 || plan.changes.length === 0) {
      result = active.mode === "apply" && plan.changes.length === 0 && plan.refusals.length === 0
        ? { kind: "applied", plan, live: active.listed, report: { ok: true, outcomes: [], notAttempted: [] } }
        : { kind: "planned", plan, live: active.listed };
    } else {
      const outcomes = storage.loadOutcomes();
      const ok = outcomes.length === plan.changes.length && outcomes.every((o) => o.status === "done");
      result = { kind: "applied", plan, live: active.listed, report: { ok, outcomes, notAttempted: plan.changes.slice(outcomes.length) } };
    }
  }
  const output = describe(result, sha, calls());
  output.progress = progress(active);
  for (const d of active.deliveries) {
    output.outcomes.push({ action: d.action, name: d.name, status: d.status, target: d.key, ...(d.error ? { error: d.error } : {}) });
    if (d.status === "failed") {
      output.errors.push(`${d.action} ${d.name} -> ${d.key}: ${d.error ?? "failed"}`);
      if (output.status === "succeeded") output.status = "failed";
    }
  }
  if (request.mode === "plan" && request.pr !== undefined) {
    // Remember what was reviewed for this credentials/ tree, so the apply after the merge can say whether it matches.
    if (result.kind === "planned" && active.tree !== null) storage.setState(`reviewed:${active.tree}`, JSON.stringify({ pr: request.pr, sha, fingerprint: fingerprint(result.plan) }));
    const title = `ngrok-gitops plan for ${short(sha)}`;
    const body = result.kind === "invalid" ? invalidMarkdown(result.errors, title) : renderMarkdown(result.plan, { title });
    await upsertPlanComment(github, config.repository, request.pr, body);
    if (active.check) await closeCheck(github, config.repository, sha, active.check, request, planVerdict(result, body));
  } else {
    const reviewedText = active.tree !== null ? storage.getState(`reviewed:${active.tree}`) : null;
    if (reviewedText && result.kind === "applied") {
      const reviewed = JSON.parse(reviewedText) as { pr: number; sha: string; fingerprint: string };
      output.reviewed = { pr: reviewed.pr, sha: reviewed.sha, matches: reviewed.fingerprint === fingerprint(result.plan) };
    }
    if (request.cause === "cron") await reportDrift(github, config.repository, storage, result, active.mode);
    const quiet = result.kind !== "invalid" && result.plan.changes.length === 0 && result.plan.refusals.length === 0;
    let check = active.check;
    if (!check && active.mode === "apply" && !quiet) check = await openCheckHandle(github, config.repository, sha, APPLY_CHECK_NAME, checkKind(deps.env));
    if (check) await closeCheck(github, config.repository, sha, check, request, applyVerdict(output, result));
  }
  if (result.kind === "applied" && result.report.ok && active.tree !== null) {
    storage.setState("last_applied", JSON.stringify({ sha, tree: active.tree, at: new Date().toISOString() }));
  }
  output.api_calls = calls();
  return output;
}

function progress(active: ActiveRun): RunOutput["progress"] {
  return { stage: active.stage, listed: active.listed, changes: active.total, applied: active.applied, invocations: active.invocations, max_subrequests: active.max_subrequests };
}

function planVerdict(result: RunResult, body: string): CheckResult {
  if (result.kind === "invalid") {
    return { conclusion: "failure", title: `${result.errors.length} invalid spec${result.errors.length === 1 ? "" : "s"}: nothing would be applied`, summary: body, annotations: annotations(result.errors) };
  }
  const refused = result.plan.refusals.length > 0;
  const counts = summarize(result.plan);
  return {
    conclusion: refused ? "failure" : "success",
    title: refused ? `Plan refused: ${result.plan.refusals.map((r) => r.code).join(", ")}` : `${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete`,
    summary: body,
  };
}

async function openCheckHandle(github: GitHubClient, repository: string, sha: string, name: string, kind: "check-run" | "status"): Promise<NonNullable<ActiveRun["check"]>> {
  if (kind === "check-run") return { kind, id: await startCheckRun(github, repository, sha, name) };
  await setCommitStatus(github, repository, sha, { state: "pending", description: "running", context: name });
  return { kind };
}

async function closeCheck(github: GitHubClient, repository: string, sha: string, check: NonNullable<ActiveRun["check"]>, request: RunRequest, result: CheckResult): Promise<void> {
  const name = request.mode === "plan" && request.pr !== undefined ? CHECK_NAME : APPLY_CHECK_NAME;
  if (check.kind === "check-run") return completeCheckRun(github, repository, check.id, result);
  return setCommitStatus(github, repository, sha, { state: result.conclusion === "failure" ? "failure" : "success", description: result.title, context: name });
}

/**
 * Runs a request to the end in this call, one fresh budget per step: for tests and tools, never while the
 * Durable Object has a run of its own in progress (it shares the active-run state and clears it).
 */
export async function executeRun(request: RunRequest, ctx: { env: Env; config: Config; storage: ReconcilerStorage; runId: number }): Promise<RunOutput> {
  const active = newActiveRun(ctx.runId, "direct", request, ctx.config);
  try {
    for (let i = 0; i < 10_000; i++) {
      const output = await advanceRun(active, { ...ctx, budget: new SubrequestBudget(ctx.config.maxSubrequests) });
      if (output) return output;
    }
    throw new Error("the run did not finish");
  } finally {
    ctx.storage.clearActive();
  }
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
  const body = result.kind === "invalid" ? invalidMarkdown(result.errors, title) : `### ${title}\n\n${review}\`\`\`\n${output.plan_text}\n\`\`\`\n${output.errors.map((e) => `- ${e}`).join("\n")}`;
  const verdict: CheckResult = { conclusion: ok ? "success" : "failure", title, summary: body };
  if (result.kind === "invalid") verdict.annotations = annotations(result.errors);
  return verdict;
}

/** What a plan would do, independent of ids and order: equal fingerprints mean the same changes. */
function fingerprint(plan: Plan): string {
  const lines = plan.changes.map((change) => {
    const fields = "fields" in change ? change.fields.map((f) => `${f.field}=${JSON.stringify(f.after)}`).join(";") : "";
    return `${change.action} ${change.name} ${fields}`;
  });
  lines.push(...plan.deliveries.map((d) => `${d.action} ${d.name} ${d.target.key}`));
  return lines.sort().join("\n");
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

function auditOutcome(storage: ReconcilerStorage, active: ActiveRun, outcome: ChangeOutcome, writes: ReadonlyMap<string, NgrokCall[]>): void {
  const request = active.request;
  const sha = active.sha;
  const change = outcome.change;
  const detail: Record<string, unknown> = {};
  if (change.action === "update" || change.action === "import" || change.action === "replace") detail.fields = change.fields.map((f) => ({ field: f.field, before: f.before, after: f.after }));
  if (change.action === "delete") detail.reason = change.reason;
  if (change.action !== "create") detail.id = change.id;
  if (outcome.status === "done" && outcome.createdId) detail.created_id = outcome.createdId;
  const ids = [change.action !== "create" ? change.id : null, outcome.status === "done" ? (outcome.createdId ?? null) : null].filter((id): id is string => id !== null);
  const calls = ids.flatMap((id) => writes.get(id) ?? []).map((call) => ({ method: call.method, status: call.status, operation_id: call.operation_id, credential_id: call.credential_id }));
  if (calls.length > 0) detail.api_calls = calls;
  if (outcome.status === "failed") {
    detail.error = { code: outcome.error.code, message: outcome.error.message, status_code: outcome.error.status_code };
    if (outcome.compensation) detail.compensation = outcome.compensation;
  }
  storage.audit({
    run_id: active.runId,
    kind: "change",
    cause: request.cause,
    sha,
    delivery: request.delivery ?? null,
    actor: request.actor ?? null,
    name: change.name,
    action: change.action,
    result: outcome.status,
    // The failing call's operation id, else the last write's (the one that completed the change).
    operation_id: outcome.status === "failed" ? (outcome.error.operation_id ?? null) : (calls[calls.length - 1]?.operation_id ?? null),
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

/** Annotations a check carries at most (4 requests of 50): past that the summary lists the rest by count. */
export const MAX_ANNOTATIONS = 200;

function annotations(errors: SpecError[]): Annotation[] {
  return errors.slice(0, MAX_ANNOTATIONS).map((e) => ({
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
