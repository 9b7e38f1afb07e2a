// Policy violations as spec errors, placed at the offending field: files with violations are parsed again for positions.
import { LineCounter, parseDocument } from "yaml";
import { fieldPath, type SpecError } from "./errors.js";
import type { KindSpecs } from "./kind-types.js";
import { judgeKinds, type KindViolation } from "./repo-policy-kinds.js";
import type { RepositoryPolicy } from "./repo-policy-file.js";
import { judgeSpecs, type ItemPathPart } from "./repo-policy-rules.js";
import { locate } from "./positions.js";
import type { CredentialSpec, SpecSource } from "./types.js";

/** How specs are judged against the repository policy file (LoadOptions.policy). */
export interface PolicyOptions {
  policy: RepositoryPolicy;
  /** Now, in ms (max_lifetime is measured from it); the same instant the plan gets. */
  now: number;
  /** The deployment's ROTATE_AFTER, which satisfies max_rotate_after for specs that set none. */
  defaultRotateAfterMs?: number;
}

/** Violations placed per file beyond this are counted in one error (as MAX_ERRORS_PER_FILE does for the loader). */
const MAX_PLACED_PER_FILE = 100;

export function policyErrors(specs: readonly CredentialSpec[], sources: readonly SpecSource[], options: PolicyOptions, kinds?: KindSpecs): SpecError[] {
  const context = { now: options.now, ...(options.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: options.defaultRotateAfterMs } : {}) };
  const found: KindViolation[] = judgeSpecs(specs, options.policy, context);
  if (kinds) for (const entry of judgeKinds(kinds, options.policy, context)) found.push(entry);
  if (found.length === 0) return [];
  const byFile = new Map<string, typeof found>();
  for (const entry of found) {
    const list = byFile.get(entry.spec.source.file) ?? [];
    list.push(entry);
    byFile.set(entry.spec.source.file, list);
  }
  const content = new Map(sources.map((source) => [source.path, source.content]));
  const errors: SpecError[] = [];
  for (const [file, entries] of byFile) {
    const text = content.get(file);
    // Valid files parse without error; the positional parse is paid only for files that break a rule.
    const lines = new LineCounter();
    const doc = text === undefined ? null : parseDocument(text, { lineCounter: lines, uniqueKeys: false });
    const data = doc?.toJS({ maxAliasCount: 100 }) as Record<string, unknown[]> | undefined;
    const placed: SpecError[] = [];
    for (const { spec, violation } of entries.slice(0, MAX_PLACED_PER_FILE)) {
      const item = /^([a-z_]+)\[(\d+)\]$/.exec(spec.source.field);
      const path = resolve([item?.[1] ?? "credentials", Number(item?.[2] ?? -1), ...violation.path], data);
      const where = doc && path ? locate(doc, lines, path) : { line: spec.source.line, column: spec.source.column };
      placed.push({
        code: "POLICY_VIOLATION",
        file,
        line: where.line,
        column: where.column,
        field: path ? fieldPath(path) : spec.source.field,
        message: `"${spec.name}" breaks policy ${violation.rule} (${violation.at}): ${violation.message}`,
        rule: violation.rule,
      });
    }
    placed.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const error of placed) errors.push(error);
    if (entries.length > MAX_PLACED_PER_FILE) {
      const last = placed[placed.length - 1] as SpecError;
      errors.push({ code: "TOO_MANY_ERRORS", file, line: last.line, column: last.column, field: "", message: `${entries.length - MAX_PLACED_PER_FILE} more policy violations in this file are not listed` });
    }
  }
  return errors;
}

/** The item path with `{ value }` steps turned into list indexes, or null when the data does not hold it. */
function resolve(path: readonly (ItemPathPart | number)[], data: unknown): (string | number)[] | null {
  const out: (string | number)[] = [];
  let value: unknown = data;
  for (const part of path) {
    if (typeof part === "object") {
      if (!Array.isArray(value)) return null;
      const index = value.indexOf(part.value);
      if (index < 0) return null;
      out.push(index);
      value = value[index];
      continue;
    }
    if (value === null || typeof value !== "object") return null;
    out.push(part);
    value = (value as Record<string | number, unknown>)[part];
  }
  return out;
}
