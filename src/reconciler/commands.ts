// Pull request commands in the Durable Object: checks who asked (write access, or owner of every changed credential), then re-plans or records an allow-deletes approval.
import type { Config } from "../config.js";
import { githubTokenSource } from "../github/auth.js";
import { collaboratorPermission, pullHeadOf, replyOn } from "../github/commands.js";
import { GitHubClient } from "../github/client.js";
import { pullJudge } from "../github/pulls.js";
import { isTeamMember, readCodeownersAt } from "../github/reviews.js";
import { hasWriteAccess, ownerLookups, ownsChanges, type CommandName } from "../review/commands.js";
import { parseCodeowners } from "../review/codeowners.js";
import { changedItems } from "../review/kinds.js";
import { SubrequestBudget } from "../run/budget.js";
import type { RunRequest } from "../run/types.js";
import type { DeleteApproval } from "./ledgers.js";
import { specsAt } from "./review-gate.js";
import type { ReconcilerStorage } from "./storage.js";

/** Approvals kept (the oldest go first): one per pull request head that asked. */
const APPROVALS_KEPT = 100;

export interface CommandInput {
  pr: number;
  command: CommandName | "unknown";
  /** The word after the prefix, for an unknown command. */
  word?: string;
  actor: string;
  delivery: string;
  comment: number | null;
}

export interface CommandOutcome {
  result: "planned" | "approved" | "refused" | "unknown" | "closed" | "error";
  /** The pull request's head when the command was read (null: not read). */
  sha: string | null;
  reply: string;
  detail: Record<string, unknown>;
}

export interface CommandDeps {
  github: GitHubClient;
  repository: string;
  ownerId: string;
  storage: ReconcilerStorage;
  /** Queues the pull request's plan (the same request a pull_request webhook makes). */
  plan(request: RunRequest): Promise<void>;
}

export async function runCommand(deps: CommandDeps, input: CommandInput): Promise<CommandOutcome> {
  const who = `@${input.actor}`;
  const text = input.command === "unknown" ? `/ngrok-gitops ${input.word ?? ""}`.trim() : `/ngrok-gitops ${input.command}`;
  if (input.command === "unknown") return { result: "unknown", sha: null, reply: `${who}: \`${text}\` is not a command of ngrok-gitops; the commands are \`/ngrok-gitops plan\` and \`/ngrok-gitops allow-deletes\`.`, detail: { pr: input.pr } };
  const { github, repository } = deps;
  let head: string | null = null;
  try {
    const pull = await pullHeadOf(github, repository, input.pr);
    head = pull.head;
    if (!pull.open) return { result: "closed", sha: head, reply: `${who}: #${input.pr} is closed; \`${text}\` does nothing on it.`, detail: { pr: input.pr } };
    const right = await rightOf(deps, input.actor, input.pr, head);
    if (!right.ok) {
      return { result: "refused", sha: head, reply: `${who}: \`${text}\` needs write access to the repository or ownership (CODEOWNERS) of every credential this pull request changes; you have ${right.permission ?? "no"} access and are ${right.why}. Nothing was changed.`, detail: { pr: input.pr, permission: right.permission, reason: right.why } };
    }
    const short = head.slice(0, 7);
    if (input.command === "plan") {
      await deps.plan({ cause: "pull_request", mode: "plan", sha: head, pr: input.pr, actor: input.actor });
      return { result: "planned", sha: head, reply: `${who} (${right.via}): planning ${short} again; the plan comment above is updated when it is done.`, detail: { pr: input.pr, via: right.via } };
    }
    const approval: DeleteApproval = { pr: input.pr, sha: head, actor: input.actor, at: new Date().toISOString() };
    const kept = (deps.storage.state.get("delete_approvals") ?? []).filter((a) => !(a.pr === input.pr && a.sha === head));
    deps.storage.state.set("delete_approvals", [...kept, approval].slice(-APPROVALS_KEPT));
    return {
      result: "approved",
      sha: head,
      reply: `${who} (${right.via}): deletions past MAX_DELETES are allowed for the merge of #${input.pr} at ${short}. A later push to the pull request voids this; comment again after it.`,
      detail: { pr: input.pr, via: right.via },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { result: "error", sha: head, reply: `${who}: \`${text}\` could not be carried out (${message}); nothing was changed. Try again later.`, detail: { pr: input.pr, error: message } };
  }
}

/** Write access, else ownership of every credential the pull request changes (judged as review notes are: against the default branch's head). */
async function rightOf(deps: CommandDeps, user: string, pr: number, head: string): Promise<{ ok: true; via: string } | { ok: false; permission: string | null; why: string }> {
  const { github, repository, ownerId, storage } = deps;
  const permission = await collaboratorPermission(github, repository, user);
  if (hasWriteAccess(permission)) return { ok: true, via: `${permission} access` };
  const base = (await pullJudge(github, repository, pr)).sha;
  const before = await specsAt(github, repository, base, ownerId, storage);
  const after = await specsAt(github, repository, head, ownerId, storage);
  if (after === null) return { ok: false, permission, why: "not an owner: the pull request's specs do not load, so its credentials cannot be known" };
  const changed = changedItems(before, after, { changes: [] });
  const file = await readCodeownersAt(github, repository, base, storage.caches.blobs());
  const parsed = file ? parseCodeowners(file.path, file.content) : null;
  if (parsed && !parsed.ok) return { ok: false, permission, why: `not an owner: ${file?.path} on the default branch is invalid` };
  const codeowners = parsed?.ok ? parsed.codeowners : null;
  const memberOf = new Set<string>();
  for (const team of ownerLookups(user, changed, codeowners)) if (await isTeamMember(github, team.org, team.slug, user)) memberOf.add(`${team.org}/${team.slug}`.toLowerCase());
  const owns = ownsChanges(user, changed, codeowners, memberOf);
  return owns.owns ? { ok: true, via: owns.why } : { ok: false, permission, why: owns.why };
}

/** Carries out a command, replies on the pull request and audits it (kind `command`, with the commenter as actor). */
export async function handleCommand(env: Env, config: Config, storage: ReconcilerStorage, input: CommandInput, plan: CommandDeps["plan"]): Promise<CommandOutcome> {
  const budget = new SubrequestBudget(config.maxSubrequests);
  const fetch = (request: Request) => budget.fetch(request);
  const github = new GitHubClient({ baseUrl: config.githubApiUrl, token: githubTokenSource(env, config.githubApiUrl, config.repository, fetch), fetch });
  const outcome = await runCommand({ github, repository: config.repository, ownerId: config.ownerId, storage, plan }, input);
  let replyError: string | null = null;
  try {
    await replyOn(github, config.repository, input.pr, outcome.reply);
  } catch (error) {
    replyError = error instanceof Error ? error.message : String(error);
  }
  const detail = { ...outcome.detail, comment: input.comment, ...(replyError ? { reply_error: replyError } : {}) };
  storage.audit.append({ run_id: null, kind: "command", cause: "issue_comment", sha: outcome.sha, delivery: input.delivery, actor: input.actor, name: null, action: input.command, result: outcome.result, operation_id: null, detail });
  return outcome;
}
