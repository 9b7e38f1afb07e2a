// Pull request facts the run checks before it publishes: a plan is only worth showing for the PR's current head.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";

interface PullResponse {
  state?: string;
  user?: { login?: string };
  head?: { sha?: string };
  base?: { ref?: string; repo?: { default_branch?: string } };
}

/**
 * The commit whose policy judges pull request `pr`: the default branch's head as it is now, whatever the PR's base
 * (only the default branch is ever applied, a PR's base can be changed at any time, and its `base.sha` may predate
 * the base's latest policy). Read from GitHub, never from the webhook. `offDefault` is set when the base is another
 * branch: such a PR is never applied from there.
 */
export async function pullJudge(github: GitHubClient, repository: string, pr: number): Promise<{ sha: string; author?: string; offDefault?: { base: string; defaultBranch: string } }> {
  const repo = repoPath(repository);
  const pull = await github.request<PullResponse>("GET", `${repo}/pulls/${pr}`);
  const base = pull?.base?.ref;
  const defaultBranch = pull?.base?.repo?.default_branch;
  if (typeof base !== "string" || typeof defaultBranch !== "string") throw new GitHubApiError("GET", `${repo}/pulls/${pr}`, 502, "no base branch or default branch in the answer");
  const branch = await github.request<{ commit?: { sha?: string } }>("GET", `${repo}/branches/${encodeURIComponent(defaultBranch)}`);
  const sha = branch?.commit?.sha;
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/i.test(sha)) throw new GitHubApiError("GET", `${repo}/branches/${defaultBranch}`, 502, "no head commit in the answer");
  // The author, read in the same call: their own approval never counts (the review notes say so).
  const author = typeof pull.user?.login === "string" ? { author: pull.user.login } : {};
  return base === defaultBranch ? { sha, ...author } : { sha, ...author, offDefault: { base, defaultBranch } };
}

/**
 * Whether `sha` is still the head of pull request `pr`. A plan computed for an older head (a slow run, or a
 * replayed old `synchronize` delivery) must not overwrite the comment and check of the newer one. A PR that
 * no longer exists (404) has no head: false.
 */
export async function isStillHead(github: GitHubClient, repository: string, pr: number, sha: string): Promise<boolean> {
  try {
    const pull = await github.request<PullResponse>("GET", `${repoPath(repository)}/pulls/${pr}`);
    return typeof pull?.head?.sha === "string" && pull.head.sha.toLowerCase() === sha.toLowerCase();
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return false;
    throw error;
  }
}
