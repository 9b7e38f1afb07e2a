// The GitHub facts a review decision needs: the merged pull request behind a commit, its reviews, trees seen, CODEOWNERS, team membership.
import { CODEOWNERS_PATHS } from "../review/codeowners.js";
import type { Review } from "../review/decide.js";
import { POLICY_FILE } from "../desired/repo-policy-schema.js";
import type { SpecSource } from "../desired/types.js";
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";
import { treeKey, type BlobCache } from "./specs.js";

interface PullJson {
  number?: number;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  user?: { login?: string };
  head?: { sha?: string };
}

interface TreeJson {
  truncated?: boolean;
  tree?: { path: string; type: string; sha: string }[];
}

/** Reviews read per pull request at most (10 pages of 100): beyond that the check fails, never reads a partial list. */
const MAX_REVIEW_PAGES = 10;

/** The merged pull request that brought `sha` to the default branch (GitHub's commit → pulls association), or null for a direct push. */
export async function mergedPullOf(github: GitHubClient, repository: string, sha: string): Promise<{ number: number; author: string; head?: string } | null> {
  const pulls = await github.request<PullJson[]>("GET", `${repoPath(repository)}/commits/${encodeURIComponent(sha)}/pulls?per_page=100`);
  const merged = (Array.isArray(pulls) ? pulls : []).find((p) => typeof p.merged_at === "string" && p.merge_commit_sha === sha);
  if (!merged || typeof merged.number !== "number" || typeof merged.user?.login !== "string") return null;
  return { number: merged.number, author: merged.user.login, ...(typeof merged.head?.sha === "string" ? { head: merged.head.sha.toLowerCase() } : {}) };
}

/** Every review of pull request `pr`, oldest first. */
export async function listReviews(github: GitHubClient, repository: string, pr: number): Promise<Review[]> {
  const out: Review[] = [];
  for (let page = 1; page <= MAX_REVIEW_PAGES; page++) {
    const batch = await github.request<{ user?: { login?: string } | null; state?: string; commit_id?: string | null }[]>("GET", `${repoPath(repository)}/pulls/${pr}/reviews?per_page=100&page=${page}`);
    for (const r of batch) if (r.user?.login && r.state && r.commit_id) out.push({ user: r.user.login, state: r.state, commit_id: r.commit_id });
    if (batch.length < 100) return out;
  }
  throw new GitHubApiError("GET", `${repoPath(repository)}/pulls/${pr}/reviews`, 413, `more than ${MAX_REVIEW_PAGES * 100} reviews: refusing to judge from a partial list`);
}

/** What commit `sha` holds for the run (SpecSnapshot.treeSha's form): its credentials/ tree and policy blob, from one root listing. */
export async function treeKeyAt(github: GitHubClient, repository: string, sha: string): Promise<string> {
  const root = await github.request<TreeJson>("GET", `${repoPath(repository)}/git/trees/${encodeURIComponent(sha)}`);
  const entries = root.tree ?? [];
  const folder = entries.find((e) => e.path === "credentials" && e.type === "tree");
  const policy = entries.find((e) => e.path === POLICY_FILE && e.type === "blob");
  return treeKey(folder?.sha ?? null, policy?.sha ?? null);
}

/** The first parent of `sha`: the base branch as the merge found it (where CODEOWNERS and the standing policy are read). */
export async function parentOf(github: GitHubClient, repository: string, sha: string): Promise<string | null> {
  const commit = await github.request<{ parents?: { sha?: string }[] }>("GET", `${repoPath(repository)}/commits/${encodeURIComponent(sha)}`);
  return commit.parents?.[0]?.sha ?? null;
}

/** The CODEOWNERS file GitHub uses at `sha` (the first of its three locations that exists), or null when there is none. */
export async function readCodeownersAt(github: GitHubClient, repository: string, sha: string, cache: BlobCache): Promise<SpecSource | null> {
  const repo = repoPath(repository);
  const tree = await github.request<TreeJson>("GET", `${repo}/git/trees/${encodeURIComponent(sha)}?recursive=1`);
  if (tree.truncated) throw new GitHubApiError("GET", `${repo}/git/trees/${sha}`, 413, "the tree is too large for one listing: CODEOWNERS could not be looked for");
  for (const path of CODEOWNERS_PATHS) {
    const entry = (tree.tree ?? []).find((e) => e.path === path && e.type === "blob");
    if (!entry) continue;
    const cached = await cache.get(entry.sha);
    if (cached !== null) return { path, content: cached, sha: entry.sha };
    const blob = await github.request<{ content: string; encoding: string }>("GET", `${repo}/git/blobs/${encodeURIComponent(entry.sha)}`);
    const content = blob.encoding === "base64" ? new TextDecoder().decode(Uint8Array.from(atob(blob.content.replace(/\s/g, "")), (c) => c.charCodeAt(0))) : blob.content;
    await cache.put(entry.sha, content);
    return { path, content, sha: entry.sha };
  }
  return null;
}

/** Whether `user` is an active member of `org/slug` (404: not a member; anything else but 200 is an error). */
export async function isTeamMember(github: GitHubClient, org: string, slug: string, user: string): Promise<boolean> {
  try {
    const membership = await github.request<{ state?: string }>("GET", `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/memberships/${encodeURIComponent(user)}`);
    return membership?.state === "active";
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return false;
    throw error;
  }
}
