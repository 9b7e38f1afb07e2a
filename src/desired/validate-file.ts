// Validates one parsed spec file against the format: every check on every item, valid or not, each error placed.
import type { UserMetadata } from "../ownership/marker.js";
import { claimOf, type Claim } from "./cross-file.js";
import { parseDuration } from "./duration.js";
import { fieldPath, type At, type Pos, type SpecError } from "./errors.js";
import { parseExpires } from "./expires.js";
import { describeValue, issueErrors } from "./issue-errors.js";
import { itemChecks } from "./item-checks.js";
import type { ItemText } from "./items.js";
import { credentialSpecSchema } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { CredentialSpec } from "./types.js";

/** Errors listed per file; the rest are counted in one TOO_MANY_ERRORS error. */
export const MAX_ERRORS_PER_FILE = 100;

export interface Limits {
  maxFileBytes: number;
  maxAliasCount: number;
  maxDepth: number;
}

export interface FileResult {
  specs: CredentialSpec[];
  errors: SpecError[];
  /** Errors found but not placed: past MAX_ERRORS_PER_FILE positions are not worth their cost. */
  unlisted?: number;
  /** Each spec's text (item i is spec i), when the file split into items: its next version reuses them. */
  items?: ItemText[];
  /** The names and imports of the items that are not specs (they have errors), for the checks across files. */
  claims?: Claim[];
}

/** Checks a parsed document against the format; `pos` places each error (and each spec's source). */
export function validate(data: unknown, pos: Pos, file: string, ownerId: string, limits: Limits, at: At): FileResult {
  if (depth(data, limits.maxDepth + 1) > limits.maxDepth) {
    return { specs: [], errors: [at("YAML_LIMIT", 1, 1, "", `document is nested deeper than ${limits.maxDepth} levels`)] };
  }
  if (data === null || data === undefined) {
    return { specs: [], errors: [at("NOT_A_MAPPING", 1, 1, "", "file is empty: expected a mapping with a `credentials` list")] };
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    const p = pos([]);
    return { specs: [], errors: [at("NOT_A_MAPPING", p.line, p.column, "", `expected a mapping with a \`credentials\` list, got ${describeValue(data)}`)] };
  }
  const errors: SpecError[] = [];
  const top = data as Record<string, unknown>;
  // Placing an error costs a walk of the document; past the listed ones, errors are only counted.
  let unlisted = 0;
  const room = () => errors.length <= MAX_ERRORS_PER_FILE;
  for (const key of Object.keys(top)) {
    if (key === "credentials") continue;
    if (!room()) {
      unlisted++;
      continue;
    }
    const p = pos([key], true);
    errors.push(at("UNKNOWN_KEY", p.line, p.column, key, `unknown key "${key}"${didYouMean(key, ["credentials"])} (a spec file has only \`credentials\`)`));
  }
  if (!("credentials" in top)) {
    const p = pos([]);
    errors.push(at("MISSING_FIELD", p.line, p.column, "credentials", "required: a list of credentials"));
    return { specs: [], errors, unlisted };
  }
  const list = top.credentials;
  if (!Array.isArray(list)) {
    const p = pos(["credentials"]);
    errors.push(at("WRONG_TYPE", p.line, p.column, "credentials", `expected a list, got ${describeValue(list)}`));
    return { specs: [], errors, unlisted };
  }
  const specs: CredentialSpec[] = [];
  const claims: Claim[] = [];
  list.forEach((item, index) => {
    const base: (string | number)[] = ["credentials", index];
    const result = credentialSpecSchema.safeParse(item);
    const before = errors.length;
    if (!result.success) {
      for (const issue of result.error.issues) {
        // The description's length is counted in bytes below, for every item; zod's count of characters would repeat it.
        if (issue.code === "too_big" && issue.path.length === 1 && issue.path[0] === "description") continue;
        if (room()) errors.push(...issueErrors(issue, base, item, pos, at));
        else unlisted++;
      }
    }
    // Checks the schema cannot express run on every item, valid or not, so an item's errors all come at once.
    for (const error of itemChecks(item, base, ownerId, pos, at)) {
      if (room()) errors.push(error);
      else unlisted++;
    }
    if (!result.success || errors.length > before) {
      // Not a spec, but its name and import still count across files: their duplicates are reported with its other errors.
      const claim = claimOf(item, index, pos);
      if (claim !== null) claims.push(claim);
      return;
    }
    const input = result.data;
    const metadata: UserMetadata = input.metadata === undefined ? null : (input.metadata as UserMetadata);
    const where = pos([...base, "name"]);
    const spec: CredentialSpec = {
      name: input.name,
      description: input.description ?? "",
      metadata: metadata !== null && typeof metadata === "object" && Object.keys(metadata).length === 0 ? null : metadata,
      acl: [...new Set(input.acl ?? [])].sort(),
      prevent_destroy: input.prevent_destroy ?? false,
      deliver: input.deliver ?? [],
      source: { file, line: where.line, column: where.column, field: fieldPath(base) },
    };
    if (input.owner_id !== undefined) spec.owner_id = input.owner_id;
    if (input.import !== undefined) spec.import = input.import;
    if (input.rotate_after !== undefined) spec.rotate_after_ms = parseDuration(input.rotate_after);
    if (input.expires !== undefined) {
      spec.expires = input.expires;
      spec.expires_ms = parseExpires(input.expires) as number;
    }
    specs.push(spec);
  });
  return { specs, errors, ...(unlisted > 0 ? { unlisted } : {}), ...(claims.length > 0 ? { claims } : {}) };
}

/** Depth of a plain value, stopping early once past `stopAt`. */
function depth(value: unknown, stopAt: number, current = 0): number {
  if (current >= stopAt || value === null || typeof value !== "object") return current;
  let deepest = current + 1;
  for (const child of Object.values(value as Record<string, unknown>)) {
    deepest = Math.max(deepest, depth(child, stopAt, current + 1));
    if (deepest >= stopAt) break;
  }
  return deepest;
}

