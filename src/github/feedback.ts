// What people see on GitHub: one sticky plan comment per PR, check runs with line annotations, commit statuses.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";
import { cutMarkdown } from "./markdown-cut.js";

/** Hidden first line that finds our comment again on every push. */
export const PLAN_COMMENT_MARKER = "<!-- ngrok-gitops:plan -->";
/** GitHub's limits. A comment or issue body: 65,536 characters, capped here in UTF-8 bytes (a character is at least one). */
export const COMMENT_MAX_BYTES = 65_536;
/** A check run's summary and text: GitHub counts them in UTF-8 bytes ("exceeds a maximum bytesize of 65535"). */
export const CHECK_TEXT_MAX_BYTES = 65_535;
export const ANNOTATIONS_PER_REQUEST = 50;

export interface IssueComment {
  id: number;
  body?: string;
  user?: { login?: string } | null;
}

/**
 * Our sticky comment: the marker, written by us. Anyone can post a comment starting with the marker; one
 * written by anybody else is never adopted (we would write the plan into a comment its author can edit).
 */
export function isOurPlanComment(comment: IssueComment, login: string): boolean {
  const author = comment.user?.login;
  return typeof author === "string" && author.toLowerCase() === login.toLowerCase() && (comment.body?.startsWith(PLAN_COMMENT_MARKER) ?? false);
}

/**
 * Pages of a PR's comments read to find ours when its id is not known: the first (where the comment of the PR's
 * first plan sits) and the last two (where one created later sits). A PR flooded with thousands of comments costs
 * three requests, not one per hundred comments (which would spend the run's subrequest budget on every retry).
 */
export const COMMENT_PAGES_SCANNED = 3;

/**
 * Creates the plan comment, or updates it in place: the one whose id `known` remembers (the run keeps it, so a PR
 * with hundreds of comments, ours far from either end, does not get a second one), else one with our marker,
 * written by us, among the pages scanned. A remembered comment that is gone (deleted) is looked for, then created.
 */
export async function upsertPlanComment(github: GitHubClient, repository: string, pr: number, body: string, known: number | null = null): Promise<{ id: number; created: boolean }> {
  const repo = repoPath(repository);
  const text = clipBytes(body.startsWith(PLAN_COMMENT_MARKER) ? body : `${PLAN_COMMENT_MARKER}\n${body}`, COMMENT_MAX_BYTES);
  if (known !== null) {
    try {
      await github.request("PATCH", `${repo}/issues/comments/${known}`, { body: text });
      return { id: known, created: false };
    } catch (error) {
      if (!(error instanceof GitHubApiError && error.status === 404)) throw error;
    }
  }
  const ours = await findPlanComment(github, repo, pr);
  if (ours) {
    await github.request("PATCH", `${repo}/issues/comments/${ours.id}`, { body: text });
    return { id: ours.id, created: false };
  }
  const created = await github.request<IssueComment>("POST", `${repo}/issues/${pr}/comments`, { body: text });
  return { id: created.id, created: true };
}

/** Hidden line opening the outcome section (Applied, Held, Failed) that a merged pull request's comment gains. */
export const OUTCOME_MARKER = "<!-- ngrok-gitops:outcome -->";
/** Room the outcome section takes at most: the plan above it is cut to leave it whole. */
const OUTCOME_MAX_BYTES = 16_384;

/**
 * Puts `section` (markdown) under the plan in the pull request's sticky comment, replacing an earlier outcome: the
 * remembered comment (`known`), else ours among the pages scanned, else a new comment with the section alone. The
 * plan above is cut, never the section, to keep the whole within GitHub's size.
 */
export async function upsertOutcomeSection(github: GitHubClient, repository: string, pr: number, section: string, known: number | null): Promise<{ id: number }> {
  const repo = repoPath(repository);
  let comment: IssueComment | undefined;
  if (known !== null) {
    try {
      comment = await github.request<IssueComment>("GET", `${repo}/issues/comments/${known}`);
    } catch (error) {
      if (!(error instanceof GitHubApiError && error.status === 404)) throw error;
    }
  }
  comment ??= await findPlanComment(github, repo, pr);
  const part = clipBytes(`${OUTCOME_MARKER}\n${section}`, OUTCOME_MAX_BYTES);
  const old = comment?.body ?? PLAN_COMMENT_MARKER;
  // Names and errors in the plan are inert (no line of theirs starts with the marker): the first at a line start is ours.
  const at = old.indexOf(`\n${OUTCOME_MARKER}`);
  const plan = (at >= 0 ? old.slice(0, at) : old).trimEnd();
  const body = `${clipBytes(plan, COMMENT_MAX_BYTES - encoder.encode(part).length - 2)}\n\n${part}`;
  if (comment) {
    await github.request("PATCH", `${repo}/issues/comments/${comment.id}`, { body });
    return { id: comment.id };
  }
  const created = await github.request<IssueComment>("POST", `${repo}/issues/${pr}/comments`, { body });
  return { id: created.id };
}

/** Our comment among the first page and the last COMMENT_PAGES_SCANNED - 1 (GitHub lists a PR's comments oldest first). */
async function findPlanComment(github: GitHubClient, repo: string, pr: number): Promise<IssueComment | undefined> {
  const login = await github.login();
  const page = async (n: number) => {
    const response = await github.raw("GET", `${repo}/issues/${pr}/comments?per_page=100&page=${n}`);
    return { comments: (await response.json()) as IssueComment[], last: lastPage(response.headers.get("Link")) };
  };
  const first = await page(1);
  let ours = first.comments.find((comment) => isOurPlanComment(comment, login));
  const last = first.comments.length < 100 ? 1 : (first.last ?? 1);
  // From the newest end: a comment created after the first page filled sits nearer the end.
  for (let n = last; !ours && n > 1 && n > last - (COMMENT_PAGES_SCANNED - 1); n--) {
    ours = (await page(n)).comments.find((comment) => isOurPlanComment(comment, login));
  }
  return ours;
}

/** The `page` of a Link header's rel="last", if any. */
function lastPage(link: string | null): number | null {
  const match = /<([^>]+)>;\s*rel="last"/.exec(link ?? "");
  if (!match?.[1]) return null;
  const page = Number(new URL(match[1]).searchParams.get("page"));
  return Number.isSafeInteger(page) && page > 0 ? page : null;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckResult {
  /** action_required: the run waits on people (a commit held for reviews). */
  conclusion: "success" | "failure" | "neutral" | "action_required";
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
  details_url?: string;
}

export const CHECK_NAME = "ngrok-gitops/plan";

/** Opens a check run as in progress; complete it with completeCheckRun, whatever happens. */
export async function startCheckRun(github: GitHubClient, repository: string, sha: string, name = CHECK_NAME): Promise<number> {
  const created = await github.request<{ id: number }>("POST", `${repoPath(repository)}/check-runs`, {
    name,
    head_sha: sha,
    status: "in_progress",
    started_at: new Date().toISOString(),
  });
  return created.id;
}

/** Completes a check run; annotations go 50 per request, the limit GitHub enforces. */
export async function completeCheckRun(github: GitHubClient, repository: string, id: number, result: CheckResult): Promise<void> {
  const path = `${repoPath(repository)}/check-runs/${id}`;
  const annotations = result.annotations ?? [];
  const output = (batch: Annotation[]) => {
    const out: Record<string, unknown> = { title: clip(result.title, 1000), summary: clipBytes(result.summary, CHECK_TEXT_MAX_BYTES) };
    if (result.text) out.text = clipBytes(result.text, CHECK_TEXT_MAX_BYTES);
    if (batch.length > 0) out.annotations = batch;
    return out;
  };
  // Every batch but the last while still in progress, so the completed run carries them all.
  for (let i = ANNOTATIONS_PER_REQUEST; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    await github.request("PATCH", path, { output: output(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST)) });
  }
  const body: Record<string, unknown> = {
    status: "completed",
    conclusion: result.conclusion,
    completed_at: new Date().toISOString(),
    output: output(annotations.slice(0, ANNOTATIONS_PER_REQUEST)),
  };
  if (result.details_url) body.details_url = result.details_url;
  await github.request("PATCH", path, body);
}

export async function setCommitStatus(
  github: GitHubClient,
  repository: string,
  sha: string,
  status: { state: "success" | "failure" | "error" | "pending"; description: string; context?: string; target_url?: string },
): Promise<void> {
  await github.request("POST", `${repoPath(repository)}/statuses/${sha}`, {
    state: status.state,
    description: clip(status.description, 140),
    context: status.context ?? "ngrok-gitops/apply",
    ...(status.target_url ? { target_url: status.target_url } : {}),
  });
}

/** What a text cut to GitHub's limit ends with. */
const CUT_NOTE = "\n\n…(cut to GitHub's size limit; the full text is in the audit log)";

/** Plain `text` (a title, a status description) in at most `max` characters (UTF-16 code units), with a note when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max - CUT_NOTE.length) + CUT_NOTE;
}

const encoder = new TextEncoder();

/**
 * Markdown in at most `maxBytes` bytes of UTF-8, cut as cutMarkdown cuts (never inside a character): a check run's
 * output, which GitHub counts in bytes, and a comment or issue body, which it counts in characters (a character is
 * at least one byte, so the byte cap holds under that too, whatever the script).
 */
export function clipBytes(text: string, maxBytes: number): string {
  // A character is at most 3 UTF-8 bytes per UTF-16 code unit: a short text needs no encoding to know it fits.
  if (text.length * 3 <= maxBytes) return text;
  return cutMarkdown(text, maxBytes, (s) => encoder.encode(s).length, CUT_NOTE);
}
