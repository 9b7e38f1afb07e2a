// Loads ngrok-gitops.policy.yaml: parse with positions, validate (unknown keys, types, file:line:col), normalise.
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import type * as z from "zod";
import { utf8Bytes } from "../ownership/marker.js";
import { parseBindTarget, type BindTarget } from "./bind-target.js";
import { DELIVER_ALLOW_MAX_LENGTH } from "./deliver-allow.js";
import { parseDuration } from "./duration.js";
import { fieldPath, type SpecError, type SpecErrorCode } from "./errors.js";
import { locate } from "./positions.js";
import { policySchema, REQUIRABLE_FIELDS } from "./repo-policy-schema.js";
import type { SpecSource } from "./types.js";
import { duplicateKeyErrors, syntaxErrors } from "./yaml-errors.js";

/** A policy is a short file; anything bigger is a mistake or hostile (a pull request's copy is untrusted). */
export const POLICY_MAX_BYTES = 64 * 1024;

/** Where a rule is written, for messages: `ngrok-gitops.policy.yaml:4`. */
type At = string;

export interface AllowPattern {
  /** As written in the policy. */
  text: string;
  target: BindTarget;
}

/** A validated policy: plain data, each rule with where it is written. Rules not set are null or empty. */
export interface RepositoryPolicy {
  file: string;
  /** e.g. { field: "metadata.team", path: ["metadata", "team"] }. */
  require: { field: string; path: string[]; at: At }[];
  allow: { patterns: AllowPattern[]; at: At } | null;
  denyUnrestricted: { at: At } | null;
  maxRotateAfter: { ms: number; text: string; at: At } | null;
  maxLifetime: { ms: number; text: string; at: At } | null;
  /** `deliver.allow`: the target patterns tokens may be delivered to. */
  deliverAllow: { patterns: string[]; at: At } | null;
  /** review.approvals: set, every apply needs a reviewed pull request (see src/review/). */
  review: { approvals: number; at: At } | null;
}

export type PolicyLoad = { ok: true; policy: RepositoryPolicy } | { ok: false; errors: SpecError[] };

/** A policy with no rules (an empty file). */
export function emptyPolicy(file: string): RepositoryPolicy {
  return { file, require: [], allow: null, denyUnrestricted: null, maxRotateAfter: null, maxLifetime: null, deliverAllow: null, review: null };
}

export function loadPolicy(source: SpecSource): PolicyLoad {
  const file = source.path;
  const fail = (code: SpecErrorCode, line: number, column: number, field: string, message: string): PolicyLoad => ({ ok: false, errors: [{ code, file, line, column, field, message }] });
  const bytes = utf8Bytes(source.content);
  if (bytes > POLICY_MAX_BYTES) return fail("FILE_TOO_LARGE", 1, 1, "", `file is ${bytes} bytes; the limit is ${POLICY_MAX_BYTES}`);
  const lines = new LineCounter();
  const docs = parseAllDocuments(source.content, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs) || docs.length === 0) return { ok: true, policy: emptyPolicy(file) };
  if (docs.length > 1) {
    const second = lines.linePos(docs[1]?.range[0] ?? 0);
    return fail("YAML_SYNTAX", second.line, second.col, "", "a policy file holds one YAML document; found a second");
  }
  const doc = docs[0] as Document.Parsed;
  const syntax = [...syntaxErrors(doc, lines), ...duplicateKeyErrors(doc, lines)];
  if (syntax.length > 0) return { ok: false, errors: syntax.map((e) => ({ code: "YAML_SYNTAX", file, ...e })) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const reason = error instanceof ReferenceError ? "aliases expand too much (possible resource exhaustion)" : "document is nested too deeply";
    return fail("YAML_LIMIT", 1, 1, "", reason);
  }
  if (data === null || data === undefined) return { ok: true, policy: emptyPolicy(file) };
  const pos = (path: (string | number)[], atKey = false) => locate(doc, lines, path, atKey);
  if (typeof data !== "object" || Array.isArray(data)) {
    const p = pos([]);
    return fail("NOT_A_MAPPING", p.line, p.column, "", `expected a mapping of policy rules, got ${Array.isArray(data) ? "a list" : typeof data}`);
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) => issueErrors(issue, data, file, pos));
    return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
  }
  const input = parsed.data;
  const at = (path: (string | number)[]) => `${file}:${pos(path).line}`;
  const policy = emptyPolicy(file);
  policy.require = (input.require ?? []).map((field, i) => ({ field, path: field.split("."), at: at(["require", i]) }));
  if (input.acl?.allow) policy.allow = { patterns: input.acl.allow.map((text) => ({ text, target: parseBindTarget(text) })), at: at(["acl", "allow"]) };
  if (input.acl?.deny_unrestricted === true) policy.denyUnrestricted = { at: at(["acl", "deny_unrestricted"]) };
  if (input.max_rotate_after) policy.maxRotateAfter = { ms: parseDuration(input.max_rotate_after), text: input.max_rotate_after, at: at(["max_rotate_after"]) };
  if (input.deliver?.allow) policy.deliverAllow = { patterns: input.deliver.allow, at: at(["deliver", "allow"]) };
  if (input.max_lifetime) policy.maxLifetime = { ms: parseDuration(input.max_lifetime), text: input.max_lifetime, at: at(["max_lifetime"]) };
  if (input.review) policy.review = { approvals: input.review.approvals, at: at(["review", "approvals"]) };
  return { ok: true, policy };
}

const ALLOWED: Record<string, readonly string[]> = {
  "": ["require", "acl", "deliver", "max_rotate_after", "max_lifetime", "review"],
  acl: ["allow", "deny_unrestricted"],
  deliver: ["allow"],
  review: ["approvals"],
};

function issueErrors(issue: z.core.$ZodIssue, data: unknown, file: string, pos: (path: (string | number)[], atKey?: boolean) => { line: number; column: number }): SpecError[] {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  const error = (code: SpecErrorCode, at: (string | number)[], message: string, atKey = false): SpecError => {
    const p = pos(at, atKey);
    return { code, file, line: p.line, column: p.column, field: fieldPath(at), message };
  };
  if (issue.code === "unrecognized_keys") {
    const allowed = ALLOWED[path.join(".")] ?? [];
    return issue.keys.map((key) => error("UNKNOWN_KEY", [...path, key], `unknown key "${key}" (allowed: ${allowed.join(", ")})`, true));
  }
  let value: unknown = data;
  for (const part of path) value = value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[part] : undefined;
  const shown = JSON.stringify(value);
  const last = path.filter((p) => typeof p === "string").pop();
  if (last === "approvals" && (issue.code === "too_small" || issue.code === "too_big" || (issue.code === "invalid_type" && value !== undefined))) return [error("INVALID_VALUE", path, `review.approvals must be a whole number from 1 to 100, got ${shown ?? "nothing"}`)];
  if (issue.code === "invalid_type") {
    if (value === undefined) return [error("MISSING_FIELD", path, "required")];
    const expected = issue.expected === "array" ? "a list" : issue.expected === "object" ? "a mapping" : `a ${issue.expected}`;
    const got = value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `${typeof value} (${shown})`;
    return [error("WRONG_TYPE", path, `expected ${expected}, got ${got}`)];
  }
  const delivery = path[0] === "deliver";
  if (issue.code === "too_small") {
    return [error("INVALID_VALUE", path, delivery ? "lists no pattern: omit deliver.allow to allow any target, or list the allowed ones" : "lists no pattern: omit acl.allow to allow any bind target, or list the allowed ones")];
  }
  if (issue.code === "too_big") return [error("TOO_LONG", path, `pattern is ${String(value).length} characters; ${delivery ? `the limit is ${DELIVER_ALLOW_MAX_LENGTH}` : "a hostname is at most 253"}`)];
  if (issue.code === "invalid_format") {
    if (delivery) return [error("INVALID_VALUE", path, `${shown} is not a delivery target pattern: OWNER/REPO:SECRET, OWNER/REPO@ENVIRONMENT:SECRET or org:ORG:SECRET, where * matches within a part`)];
    if (last === "require") return [error("INVALID_VALUE", path, `${shown} is not a field a credential can be required to set: ${REQUIRABLE_FIELDS.join(", ")} or metadata.KEY`)];
    if (last === "allow") {
      return [error("INVALID_VALUE", path, `${shown} is not a bind target pattern: a hostname (*.example.com for its subdomains), host:port or host:*, or a key=value label rule (key and value may be *)`)];
    }
    return [error("INVALID_VALUE", path, `${shown} is not a duration: a whole number and one unit of m, h, d or w (e.g. 90d)`)];
  }
  return [error("INVALID_VALUE", path, issue.message)];
}
