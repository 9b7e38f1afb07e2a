// The size refusals of a spec file, judged before it is parsed: the fixed 1 MiB, and what one invocation's CPU can parse.
import { utf8Bytes } from "../ownership/marker.js";
import type { SpecError } from "./errors.js";
import type { FileResult } from "./validate-file.js";

/** Bytes of one spec file, whatever the budget (the CLI's limit; the tree listing's too, src/github/spec-limits.ts). */
export const MAX_FILE_BYTES = 1024 * 1024;

export interface SizeLimits {
  maxFileBytes: number;
  /**
   * With a CPU budget (the Worker's MAX_CPU_MS): the largest file one invocation can parse, from the same cost per
   * KB the run charges for the parse (`maxParseBytes` in src/run/cpu-units.ts). Absent: no budget, only maxFileBytes.
   */
  maxParseBytes?: number;
}

/**
 * The refusal of a file too large to parse, or null. A file over the CPU budget would be parsed in one piece of
 * work larger than an invocation may spend: killed for CPU (which cannot be caught) and retried until given up.
 * Never cached: the limits belong to the deployment (MAX_CPU_MS can be raised), not to the file.
 */
/** Whether a file is over `maxParseBytes` (UTF-8), counting its bytes only when its length leaves doubt. */
export function overParseLimit(content: string, maxParseBytes: number): boolean {
  return content.length * 3 > maxParseBytes && (content.length > maxParseBytes || utf8Bytes(content) > maxParseBytes);
}

export function sizeRefusal(file: string, content: string, limits: SizeLimits): FileResult | null {
  const cpuLimit = limits.maxParseBytes ?? Number.POSITIVE_INFINITY;
  const limit = Math.min(limits.maxFileBytes, cpuLimit);
  // A UTF-16 unit is at most 3 UTF-8 bytes: most files need no count.
  if (content.length * 3 <= limit) return null;
  const bytes = utf8Bytes(content);
  if (bytes <= limit) return null;
  const at = (code: SpecError["code"], message: string): FileResult => ({ specs: [], errors: [{ code, file, line: 1, column: 1, field: "", message }] });
  if (bytes > limits.maxFileBytes) return at("FILE_TOO_LARGE", `file is ${bytes} bytes; the limit is ${limits.maxFileBytes}`);
  return at(
    "FILE_OVER_CPU_BUDGET",
    `file is ${bytes} bytes; one invocation's CPU (MAX_CPU_MS) parses at most ${cpuLimit} bytes of a spec file: split it into smaller files, or raise MAX_CPU_MS (Workers Paid)`,
  );
}

/**
 * How many times the run's parse charge the positional parse costs a byte (`yaml` with a LineCounter, then the
 * validation placing each field: 0.65–0.9 µs a byte against the 0.16 charged, src/run/cpu-units.ts).
 */
export const POSITIONAL_PARSE_FACTOR = 6;

/**
 * Under a CPU budget, a file only the positional parse can read (it uses YAML aliases, or js-yaml reads it whole
 * but not item by item) is refused past maxParseBytes / POSITIONAL_PARSE_FACTOR: that parse would cost more than
 * the invocation's CPU. Null when the file is small enough.
 */
export function positionalRefusal(file: string, content: string, maxParseBytes: number): FileResult | null {
  const limit = Math.floor(maxParseBytes / POSITIONAL_PARSE_FACTOR);
  if (content.length * 3 <= limit) return null;
  const bytes = utf8Bytes(content);
  if (bytes <= limit) return null;
  return {
    specs: [],
    errors: [
      {
        code: "FILE_OVER_CPU_BUDGET",
        file,
        line: 1,
        column: 1,
        field: "",
        message: `file is ${bytes} bytes and uses YAML aliases (or reads differently entry by entry), which are parsed the slow way: one invocation's CPU (MAX_CPU_MS) parses at most ${limit} bytes of such a file: expand the aliases, split the file, or raise MAX_CPU_MS (Workers Paid)`,
      },
    ],
  };
}
