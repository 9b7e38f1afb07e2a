// Reads credentials/** at an exact commit: one tree call, then only the blobs not already cached (blobs are content-addressed).
import { isSpecPath } from "../spec/load.js";
import type { SpecError } from "../spec/errors.js";
import type { SpecSource } from "../spec/types.js";
import { repoPath, type GitHubClient } from "./client.js";
import { DEFAULT_SPEC_LIMITS, specLimitViolation, type SpecLimitName, type SpecLimits } from "./spec-limits.js";

export interface BlobCache {
  get(sha: string): Promise<string | null>;
  put(sha: string, content: string): Promise<void>;
}

export interface SpecSnapshot {
  sha: string;
  /** The git tree of credentials/ ("" when the folder does not exist): equal trees mean equal specs. */
  treeSha: string;
  sources: SpecSource[];
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
  const violation = specLimitViolation(blobs, limits);
  if (violation) throw new SpecLimitError(violation.limit, violation.file, `${short(sha)}: ${violation.message}; nothing was read`);
  const sources = await Promise.all(
    blobs.map(async (entry): Promise<SpecSource> => {
      const cached = await cache.get(entry.sha);
      if (cached !== null) return { path: entry.path, content: cached, sha: entry.sha };
      const blob = await github.request<BlobResponse>("GET", `${repo}/git/blobs/${encodeURIComponent(entry.sha)}`);
      const content = blob.encoding === "base64" ? decodeBase64Utf8(blob.content) : blob.content;
      await cache.put(entry.sha, content);
      return { path: entry.path, content, sha: entry.sha };
    }),
  );
  return { sha, treeSha: folder?.sha ?? "", sources };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function decodeBase64Utf8(text: string): string {
  const binary = atob(text.replace(/\s/g, ""));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
