// Schema issues from zod, turned into errors that name the field and say what would be valid.
import * as z from "zod";
import { utf8Bytes } from "../ownership/marker.js";
import { explainAclRule } from "./acl.js";
import { fieldPath, type At, type Pos, type SpecError } from "./errors.js";
import { credentialSpecSchema } from "./schema.js";
import { didYouMean } from "./suggest.js";

/**
 * Turns one schema issue into errors a person can act on, at most `room` of them: one issue can name every unknown
 * key of a mapping (60,000 in a hostile file), and placing each one costs a search of the mapping.
 */
export function issueErrors(issue: z.core.$ZodIssue, base: (string | number)[], item: unknown, pos: Pos, at: At, schema: z.ZodType = credentialSpecSchema, room = Number.POSITIVE_INFINITY): SpecError[] {
  const path = [...base, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  const field = fieldPath(path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.slice(0, room).map((key) => {
      const p = pos([...path, key], true);
      const known = keysAt(schema, issue.path);
      const allowed = known.length > 0 ? ` (allowed: ${known.join(", ")})` : "";
      return at("UNKNOWN_KEY", p.line, p.column, fieldPath([...path, key]), `unknown key "${key}"${didYouMean(key, known)}${allowed}`);
    });
  }
  const p = pos(path);
  const value = valueAt(item, issue.path);
  const last = [...issue.path].reverse().find((part) => typeof part === "string");
  if (issue.code === "invalid_type") {
    if (value === undefined) return [at("MISSING_FIELD", p.line, p.column, field, "required")];
    const expected = issue.expected === "record" ? "a mapping" : `a ${issue.expected === "array" ? "list" : issue.expected}`;
    return [at("WRONG_TYPE", p.line, p.column, field, `expected ${expected}, got ${describeValue(value)}`)];
  }
  if (issue.code === "invalid_union") {
    return [at("WRONG_TYPE", p.line, p.column, field, `expected a mapping or a string, got ${describeValue(value)}`)];
  }
  if (issue.code === "too_big") {
    if (last === "acl" || typeof issue.path[issue.path.length - 1] === "number") {
      return [at("TOO_LONG", p.line, p.column, field, `ACL rule is ${String(value).length} characters; a hostname is at most 253`)];
    }
    return [at("TOO_LONG", p.line, p.column, field, `is ${utf8Bytes(String(value))} bytes (UTF-8); the limit is ${issue.maximum}`)];
  }
  if (issue.code === "invalid_value") {
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(", ");
    return [at("INVALID_VALUE", p.line, p.column, field, `${JSON.stringify(value)} is not one of ${allowed}`)];
  }
  if (issue.code === "invalid_format") {
    const inSecret = issue.path.includes("github_actions_secret");
    return [at("INVALID_VALUE", p.line, p.column, field, formatMessage(inSecret && last === "name" ? "secret_name" : last, value, String(base[0])))];
  }
  return [at("INVALID_VALUE", p.line, p.column, field, issue.message)];
}

/** The keys the object at `path` inside `schema` may have (through lists, optionals and unions). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  if (schema instanceof z.ZodOptional) return keysAt(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodUnion) return [...new Set((schema.options as z.ZodType[]).flatMap((option) => keysAt(option, path)))];
  if (path.length === 0) return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const [part, ...rest] = path;
  if (schema instanceof z.ZodArray && typeof part === "number") return keysAt(schema.element as z.ZodType, rest);
  if (schema instanceof z.ZodObject && typeof part === "string" && part in schema.shape) return keysAt(schema.shape[part] as z.ZodType, rest);
  return [];
}

function formatMessage(field: string | undefined, value: unknown, list: string): string {
  const shown = JSON.stringify(value);
  switch (field) {
    case "name":
      return `${shown} is not a valid name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit`;
    case "acl":
      return `invalid ACL rule ${shown}: ${explainAclRule(String(value))}`;
    case "owner_id":
      return `${shown} is not a user or bot id (usr_… or bot_…); emails are not accepted because ngrok reports ids`;
    case "import":
      return `${shown} is not ${IMPORT_IDS[list] ?? "a credential id (cr_…)"}`;
    case "owner":
      return `${shown} is not a service user name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit`;
    case "repo":
      return `${shown} is not a repository (owner/name)`;
    case "secret_name":
      return `${shown} is not a GitHub secret name: letters, digits and "_", not starting with a digit or GITHUB_`;
    case "environment":
      return `${shown} is not a valid environment name`;
    case "rotate_after":
      return `${shown} is not a duration: a whole number and one unit of m, h, d or w (e.g. 90d)`;
    case "expires":
      return `${shown} is not a date (YYYY-MM-DD) or an RFC 3339 time (e.g. 2027-01-31T18:00:00Z)`;
    default:
      return `${shown} is not valid here`;
  }
}

const IMPORT_IDS: Record<string, string> = {
  credentials: "a credential id (cr_…)",
  service_users: "a service user id (bot_…)",
  api_keys: "an API key id (ak_…)",
  ssh_credentials: "an SSH credential id (sshcr_…)",
};

function valueAt(item: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = item;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** A value as an error message shows it: its kind, and a short string or number. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  return `${typeof value} (${String(value)})`;
}
