// Pull request facts the run checks before it publishes: a plan is only worth showing for the PR's current head.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";

interface PullResponse {
  state?: string;
  head?: { sha?: string };
  base?: { sha?: string };
}

/** The current head commit of pull request `pr`'s base branch: its policy judges the pull request. */
export async function pullBase(github: GitHubClient, repository: string, pr: number): Promise<string> {
  const pull = await github.request<PullResponse>("GET", `${repoPath(repository)}/pulls/${pr}`);
  const sha = pull?.base?.sha;
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/i.test(sha)) throw new GitHubApiError("GET", `${repoPath(repository)}/pulls/${pr}`, 502, "no base commit in the answer");
  return sha;
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
