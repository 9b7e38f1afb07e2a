// Pull request facts the run checks before it publishes: a plan is only worth showing for the PR's current head.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";

interface PullResponse {
  state?: string;
  head?: { sha?: string };
  base?: { sha?: string; ref?: string; repo?: { default_branch?: string } };
}

const SHA = /^[0-9a-f]{40}$/i;

/**
 * The commit whose policy judges pull request `pr`: the default branch's head, whatever the PR's base (only the
 * default branch is ever applied, and a PR's base can be changed at any time). Read from GitHub, never from the
 * webhook. `offDefault` is set when the base is another branch: such a PR is never applied from there.
 */
export async function pullJudge(github: GitHubClient, repository: string, pr: number): Promise<{ sha: string; offDefault?: { base: string; defaultBranch: string } }> {
  const repo = repoPath(repository);
  const pull = await github.request<PullResponse>("GET", `${repo}/pulls/${pr}`);
  const base = pull?.base;
  const defaultBranch = base?.repo?.default_branch;
  if (typeof base?.ref !== "string" || typeof defaultBranch !== "string" || typeof base.sha !== "string" || !SHA.test(base.sha)) {
    throw new GitHubApiError("GET", `${repo}/pulls/${pr}`, 502, "no base branch, base commit or default branch in the answer");
  }
  if (base.ref === defaultBranch) return { sha: base.sha };
  const branch = await github.request<{ commit?: { sha?: string } }>("GET", `${repo}/branches/${encodeURIComponent(defaultBranch)}`);
  const sha = branch?.commit?.sha;
  if (typeof sha !== "string" || !SHA.test(sha)) throw new GitHubApiError("GET", `${repo}/branches/${defaultBranch}`, 502, "no head commit in the answer");
  return { sha, offDefault: { base: base.ref, defaultBranch } };
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
