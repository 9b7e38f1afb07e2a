// Reads credentials/** at an exact commit: one tree call, then only the blobs not already cached (blobs are content-addressed).
import { isSpecPath } from "../desired/load.js";
import type { SpecError } from "../desired/errors.js";
import { POLICY_FILE } from "../desired/repo-policy-schema.js";
import type { SpecSource } from "../desired/types.js";
import { repoPath, type GitHubClient } from "./client.js";
import { DEFAULT_SPEC_LIMITS, specLimitViolation, type SpecLimitName, type SpecLimits } from "./spec-limits.js";

export interface BlobCache {
  get(sha: string): Promise<string | null>;
  put(sha: string, content: string): Promise<void>;
}

export interface SpecSnapshot {
  sha: string;
  /**
   * What the run's result depends on in the repository: the git tree of credentials/ ("" when the folder does not
   * exist), plus the policy file's blob when there is one. Equal values mean equal specs judged by an equal policy.
   */
  treeSha: string;
  sources: SpecSource[];
  /** The repository policy file at this commit (ngrok-gitops.policy.yaml at the root), or null. */
  policy: SpecSource | null;
}

interface TreeResponse {
  sha: string;
  truncated: boolean;
  tree: { path: string; type: string; sha: string; size?: number }[];
}

interface BlobResponse {
  content: string;
  encoding: string;
}

export class SpecReadError extends Error {
  readonly code: string = "SPEC_READ_FAILED";
}

/** The tree crossed a limit: nothing was downloaded. `limit` and `file` say which and where. */
export class SpecLimitError extends SpecReadError {
  override readonly code = "SPEC_LIMIT_EXCEEDED";
  constructor(
    readonly limit: SpecLimitName,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "SpecLimitError";
  }

  /** The refusal as a spec error on the file, so a pull request's check and comment can say what to fix. */
  toSpecErrors(): SpecError[] {
    return [{ code: this.limit === "files" ? "TOO_MANY_FILES" : "FILE_TOO_LARGE", file: this.file, line: 1, column: 1, field: "", message: this.message }];
  }
}

/**
 * The spec files at `sha`. The limits are judged from the tree listing before any blob is fetched, so a
 * pull request full of huge files costs one listing, not the Worker's memory.
 */
export async function readSpecsAt(github: GitHubClient, repository: string, sha: string, cache: BlobCache, limits: SpecLimits = DEFAULT_SPEC_LIMITS): Promise<SpecSnapshot> {
  const repo = repoPath(repository);
  const tree = await github.request<TreeResponse>("GET", `${repo}/git/trees/${encodeURIComponent(sha)}?recursive=1`);
  // A truncated listing could silently drop spec files, which would read as deletions.
  if (tree.truncated) throw new SpecReadError(`the tree of ${sha} is too large for one listing; refusing to plan from a partial view`);
  const folder = tree.tree.find((entry) => entry.path === "credentials" && entry.type === "tree");
  const blobs = tree.tree.filter((entry) => entry.type === "blob" && isSpecPath(entry.path));
  const policyEntry = tree.tree.find((entry) => entry.type === "blob" && entry.path === POLICY_FILE) ?? null;
  // The policy file counts against the same limits: it is read from the same untrusted tree.
  const violation = specLimitViolation(policyEntry ? [...blobs, policyEntry] : blobs, limits);
  if (violation) throw new SpecLimitError(violation.limit, violation.file, `${short(sha)}: ${violation.message}; nothing was read`);
  const read = (entry: { path: string; sha: string }) => readBlob(github, repo, entry, cache);
  const sources = await allLanded((policyEntry ? [...blobs, policyEntry] : blobs).map(read));
  const policy = policyEntry ? (sources.pop() ?? null) : null;
  return { sha, treeSha: treeKey(folder?.sha ?? null, policyEntry?.sha ?? null), sources, policy };
}

/** SpecSnapshot.treeSha from the credentials/ tree and the policy blob (either may be missing). */
export function treeKey(folder: string | null, policy: string | null): string {
  return `${folder ?? ""}${policy ? `+${policy}` : ""}`;
}

/**
 * The policy file at `sha` (the default branch's, for a pull request): the root tree's listing, then its blob
 * (cached like spec blobs). Null when the commit has none. The same per-file limit applies.
 */
export async function readPolicyAt(github: GitHubClient, repository: string, sha: string, cache: BlobCache, limits: SpecLimits = DEFAULT_SPEC_LIMITS): Promise<SpecSource | null> {
  const repo = repoPath(repository);
  const tree = await github.request<TreeResponse>("GET", `${repo}/git/trees/${encodeURIComponent(sha)}`);
  const entry = tree.tree.find((e) => e.type === "blob" && e.path === POLICY_FILE);
  if (!entry) return null;
  const violation = specLimitViolation([entry], limits);
  if (violation) throw new SpecLimitError(violation.limit, violation.file, `${short(sha)}: ${violation.message}; nothing was read`);
  return readBlob(github, repo, entry, cache);
}

/**
 * All the values, or the first error once every download in flight has landed (and been cached): a tree read over
 * several invocations keeps what each fetched before its budget ran out, instead of leaving the downloads behind.
 */
async function allLanded<T>(reads: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(reads);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

async function readBlob(github: GitHubClient, repo: string, entry: { path: string; sha: string }, cache: BlobCache): Promise<SpecSource> {
  const cached = await cache.get(entry.sha);
  if (cached !== null) return { path: entry.path, content: cached, sha: entry.sha };
  const blob = await github.request<BlobResponse>("GET", `${repo}/git/blobs/${encodeURIComponent(entry.sha)}`);
  const content = blob.encoding === "base64" ? decodeBase64Utf8(blob.content) : blob.content;
  await cache.put(entry.sha, content);
  return { path: entry.path, content, sha: entry.sha };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function decodeBase64Utf8(text: string): string {
  const binary = atob(text.replace(/\s/g, ""));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
