// Validates one parsed spec file against the format: every check on every item, valid or not, each error placed.
import { claimOf, type Claim } from "./cross-file.js";
import type { At, Pos, SpecError } from "./errors.js";
import { describeValue, issueErrors } from "./issue-errors.js";
import { itemChecks } from "./item-checks.js";
import { buildSpec, kindChecks } from "./kind-items.js";
import { ITEM_SCHEMAS } from "./kind-schema.js";
import { emptyKindSpecs, KIND_LISTS, type KindSpecs } from "./kind-types.js";
import type { ItemText } from "./items.js";
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
  /** The specs of the lists beside `credentials:`, when the file has any. */
  kinds?: KindSpecs;
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
    if ((KIND_LISTS as readonly string[]).includes(key)) continue;
    if (!room()) {
      unlisted++;
      continue;
    }
    const p = pos([key], true);
    errors.push(at("UNKNOWN_KEY", p.line, p.column, key, `unknown key "${key}"${didYouMean(key, [...KIND_LISTS])} (${FILE_KEYS})`));
  }
  const lists = KIND_LISTS.filter((list) => list in top);
  if (lists.length === 0) {
    const p = pos([]);
    errors.push(at("MISSING_FIELD", p.line, p.column, "credentials", "required: a list of credentials (or of service_users, api_keys, ssh_credentials)"));
    return { specs: [], errors, unlisted };
  }
  const specs: CredentialSpec[] = [];
  const kinds = emptyKindSpecs();
  let hasKinds = false;
  const claims: Claim[] = [];
  for (const listName of lists) {
    const list = top[listName];
    if (!Array.isArray(list)) {
      const p = pos([listName]);
      errors.push(at("WRONG_TYPE", p.line, p.column, listName, `expected a list, got ${describeValue(list)}`));
      continue;
    }
    const schema = ITEM_SCHEMAS[listName];
    list.forEach((item, index) => {
      const base: (string | number)[] = [listName, index];
      const result = schema.safeParse(item);
      const before = errors.length;
      if (!result.success) {
        for (const issue of result.error.issues) {
          // The description's length is counted in bytes below, for every item; zod's count of characters would repeat it.
          if (issue.code === "too_big" && issue.path.length === 1 && issue.path[0] === "description") continue;
          if (!room()) {
            unlisted += issue.code === "unrecognized_keys" ? issue.keys.length : 1;
            continue;
          }
          const listed = issueErrors(issue, base, item, pos, at, schema, MAX_ERRORS_PER_FILE + 1 - errors.length);
          for (const error of listed) errors.push(error);
          if (issue.code === "unrecognized_keys") unlisted += issue.keys.length - listed.length;
        }
      }
      // Checks the schema cannot express run on every item, valid or not, so an item's errors all come at once.
      for (const error of [...itemChecks(item, base, ownerId, pos, at), ...kindChecks(listName, item, base, pos, at)]) {
        if (room()) errors.push(error);
        else unlisted++;
      }
      if (!result.success || errors.length > before) {
        // Not a spec, but its name and import still count across files: their duplicates are reported with its other errors.
        const claim = claimOf(item, index, pos, listName);
        if (claim !== null) claims.push(claim);
        return;
      }
      const built = buildSpec(listName, result.data as Record<string, unknown>, file, base, pos);
      if (built.list === "credentials") specs.push(built.spec);
      else {
        hasKinds = true;
        (kinds[built.list] as (typeof built.spec)[]).push(built.spec);
      }
    });
  }
  return { specs, errors, ...(hasKinds ? { kinds } : {}), ...(unlisted > 0 ? { unlisted } : {}), ...(claims.length > 0 ? { claims } : {}) };
}

const FILE_KEYS = "a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`";

/**
 * Depth of a plain value, stopping early once past `stopAt`. for…in, not Object.values: a hostile mapping of
 * 60,000 keys is a dictionary in V8, and copying its values out cost several times reading them in place.
 */
function depth(value: unknown, stopAt: number, current = 0): number {
  if (current >= stopAt || value === null || typeof value !== "object") return current;
  let deepest = current + 1;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (child === null || typeof child !== "object") continue;
    deepest = Math.max(deepest, depth(child, stopAt, current + 1));
    if (deepest >= stopAt) break;
  }
  return deepest;
}

