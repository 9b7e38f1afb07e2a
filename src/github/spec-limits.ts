// What a run may download of credentials/**, judged from the tree listing alone, before any blob is fetched.

/** Limits on the spec files of one run; the loader's own per-file limit is the same 1 MiB. */
export interface SpecLimits {
  /** Spec files per run. */
  maxFiles: number;
  /** Bytes of one spec file (the tree's `size`). */
  maxFileBytes: number;
  /** Bytes of all spec files of one run together. */
  maxTotalBytes: number;
}

export const DEFAULT_SPEC_LIMITS: SpecLimits = {
  maxFiles: 1000,
  maxFileBytes: 1024 * 1024,
  // A thousand credentials take about 200 KiB of YAML; 4 MiB leaves ample room and keeps a run far from
  // the Worker's 128 MB (a blob is base64 in JSON, then a string, then parsed: several copies each).
  maxTotalBytes: 4 * 1024 * 1024,
};

export interface TreeBlob {
  path: string;
  sha: string;
  /** Absent only in a malformed listing: then the size cannot be bounded and the file is refused. */
  size?: number;
}

export type SpecLimitName = "files" | "file_bytes" | "total_bytes" | "size_unknown";

/** Why the files of a tree are not downloaded: the limit, the file that crossed it, and a message naming both. */
export interface SpecLimitViolation {
  limit: SpecLimitName;
  file: string;
  message: string;
}

/**
 * The first limit the listing crosses, or null when every file may be fetched. Files are judged in path order,
 * so the file named is the same on every run of the same tree.
 */
export function specLimitViolation(blobs: readonly TreeBlob[], limits: SpecLimits = DEFAULT_SPEC_LIMITS): SpecLimitViolation | null {
  const sorted = [...blobs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (sorted.length > limits.maxFiles) {
    const file = sorted[limits.maxFiles]?.path ?? "credentials/";
    return { limit: "files", file, message: `credentials/ holds ${sorted.length} spec files; at most ${limits.maxFiles} are read (the first one over: ${file})` };
  }
  let total = 0;
  for (const blob of sorted) {
    if (typeof blob.size !== "number" || !Number.isSafeInteger(blob.size) || blob.size < 0) {
      return { limit: "size_unknown", file: blob.path, message: `${blob.path}: the tree listing gives no size for it, so it is not downloaded` };
    }
    if (blob.size > limits.maxFileBytes) {
      return { limit: "file_bytes", file: blob.path, message: `${blob.path} is ${blob.size} bytes; a spec file may have at most ${limits.maxFileBytes}` };
    }
    total += blob.size;
    if (total > limits.maxTotalBytes) {
      return { limit: "total_bytes", file: blob.path, message: `the spec files up to ${blob.path} add up to ${total} bytes; a run reads at most ${limits.maxTotalBytes} bytes of specs` };
    }
  }
  return null;
}
