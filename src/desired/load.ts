// Loads spec files: parse YAML with positions, validate against the schema, normalise, check across files.
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import { crossFileErrors, withItemNames, type FileItems } from "./cross-file.js";
import { type At, type SpecError, type SpecErrorCode } from "./errors.js";
import { fastSyntaxErrors, placeBudget, placedFast } from "./error-path.js";
import { parseFast, parseFastItem } from "./fast-parse.js";
import { splitItems, type ItemText } from "./items.js";
import { locate } from "./positions.js";
import type { RepositoryPolicy } from "./repo-policy-file.js";
import { policyErrors, type PolicyOptions } from "./repo-policy-errors.js";
import { MAX_FILE_BYTES, positionalRefusal, sizeRefusal } from "./limits.js";
import { scanShape } from "./shape-scan.js";
import { MAX_ERRORS_PER_FILE, validate, type FileResult, type Limits } from "./validate-file.js";
import { duplicateKeyErrors, syntaxErrors } from "./yaml-errors.js";
import { emptyKindSpecs, OTHER_KIND_LISTS, type KindSpecs } from "./kind-types.js";
import { ownerErrors } from "./owners.js";
import type { CredentialSpec, SpecSource } from "./types.js";

export interface LoadOptions {
  /** OWNER_ID: the marker it adds counts against the metadata limit. */
  ownerId: string;
  /** Spec files are untrusted input. Defaults: 1 MiB a file, 1000 files, 100 alias expansions, depth 32. */
  maxFileBytes?: number;
  /** With a CPU budget: the largest file one invocation parses (src/desired/limits.ts); larger ones are refused unparsed. */
  maxParseBytes?: number;
  maxFiles?: number;
  maxAliasCount?: number;
  maxDepth?: number;
  /**
   * Results of single files, kept between runs: parsing YAML with positions is most of a plan's CPU, and a
   * file's result depends only on its path, its content and the owner. Keyed by `fileCacheKey`.
   */
  cache?: FileCache;
  /** The js-yaml fast path for valid files (default on); tests turn it off to compare both paths. */
  fastParse?: boolean;
  /**
   * The repository policy to judge the specs by (from `choosePolicy`), with the instant to judge at: violations
   * are errors at the offending field. Never cached: they depend on the policy and on `now`.
   */
  policy?: PolicyOptions;
  /**
   * The names of the account's service users, which an `owner:` may name besides the specs' own. Left out, only the
   * specs' service users count; "unknown" defers the check to a caller that has the account (the run's plan stage).
   */
  accountServiceUsers?: ReadonlySet<string> | "unknown";
}

export type { PolicyOptions } from "./repo-policy-errors.js";

export type { FileResult } from "./validate-file.js";
export { MAX_ERRORS_PER_FILE } from "./validate-file.js";

export interface FileCache {
  get(key: string): FileResult | undefined;
  /** Whether `key` is cached, without reading it back (a Map has it; the Durable Object's asks SQLite). */
  has?(key: string): boolean;
  /** The size in bytes of what reading `key` back parses (the Durable Object's row of JSON), or undefined when not cached; a cache of objects has none. */
  bytes?(key: string): number | undefined;
  set(key: string, result: FileResult): void;
}

/** A file's cache key: its blob SHA when known (git content addressing), else its content; the limits are fixed per deployment. */
export function fileCacheKey(source: SpecSource, ownerId: string): string {
  return `${ownerId}\0${source.path}\0${source.sha ?? source.content}`;
}

/**
 * The key of the last version of `path` that was parsed, with its items' texts: when the file changes, its
 * unchanged items are not parsed again. (A path never starts with "\0", so this never meets a fileCacheKey.)
 */
export function lastVersionKey(path: string, ownerId: string): string {
  return `${ownerId}\0\0last\0${path}`;
}

export type LoadResult =
  | { ok: true; specs: CredentialSpec[]; kinds: KindSpecs; files: number }
  | { ok: false; errors: SpecError[]; files: number };

/** `credentials/**` files with a .yaml or .yml ending are specs; everything else there is ignored. */
export function isSpecPath(path: string): boolean {
  return /^credentials\/(?:[^/]+\/)*[^/]+\.ya?ml$/.test(path);
}

export function loadSpecs(sources: readonly SpecSource[], options: LoadOptions): LoadResult {
  const limits = {
    maxFileBytes: options.maxFileBytes ?? MAX_FILE_BYTES,
    maxFiles: options.maxFiles ?? 1000,
    maxAliasCount: options.maxAliasCount ?? 100,
    maxDepth: options.maxDepth ?? 32,
  };
  const errors: SpecError[] = [];
  const specs: CredentialSpec[] = [];
  const kinds = emptyKindSpecs();
  const sorted = [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (sorted.length > limits.maxFiles) {
    errors.push({
      code: "TOO_MANY_FILES",
      file: sorted[limits.maxFiles]?.path ?? "credentials/",
      line: 1,
      column: 1,
      field: "",
      message: `${sorted.length} spec files; at most ${limits.maxFiles} are read`,
    });
    return { ok: false, errors, files: sorted.length };
  }
  // Loops, not push(...list): a hostile file can yield hundreds of thousands of errors, more than a call's arguments.
  const results: { path: string; file: FileResult }[] = [];
  for (const source of sorted) {
    const key = options.cache ? fileCacheKey(source, options.ownerId) : "";
    let file = options.cache?.get(key);
    const refused = file ? null : sizeRefusal(source.path, source.content, { maxFileBytes: limits.maxFileBytes, ...(options.maxParseBytes !== undefined ? { maxParseBytes: options.maxParseBytes } : {}) });
    if (refused) file = refused;
    else if (!file) {
      const last = options.cache?.get(lastVersionKey(source.path, options.ownerId));
      file = loadFile(source, options.ownerId, limits, options.fastParse ?? true, last, options.maxParseBytes);
      // A refusal for want of CPU is not the file's verdict (a higher MAX_CPU_MS reads it): it is not cached.
      const cacheable = file.errors[0]?.code !== "FILE_OVER_CPU_BUDGET";
      if (cacheable && file.items) {
        const { items: _items, ...result } = file;
        options.cache?.set(key, result);
        options.cache?.set(lastVersionKey(source.path, options.ownerId), file);
      } else if (cacheable) options.cache?.set(key, file);
    }
    results.push({ path: source.path, file });
  }
  for (const { file } of results) {
    for (const spec of file.specs) specs.push(spec);
    if (file.kinds) for (const list of OTHER_KIND_LISTS) for (const spec of file.kinds[list]) (kinds[list] as (typeof spec)[]).push(spec);
  }
  specs.sort(byName);
  // Every item's name and import count across files, valid or not, so a duplicate comes with the item's other errors.
  // Most loads have no error and no duplicate: the sorted names and a set of the few imports tell, claiming nothing.
  const items = results.some(({ file }) => file.errors.length > 0 || (file.unlisted ?? 0) > 0 || (file.claims?.length ?? 0) > 0) || clashes(specs, kinds) ? fileErrors(results, errors) : null;
  if (options.accountServiceUsers !== "unknown") for (const error of ownerErrors(specs, kinds, sorted, options.accountServiceUsers)) errors.push(error);
  if (options.policy) for (const error of policyErrors(specs, sorted, options.policy, kinds)) errors.push(error);
  if (errors.length > 0) return { ok: false, errors: withItemNames(errors, items ?? fileItems(results)), files: sorted.length };
  for (const list of OTHER_KIND_LISTS) kinds[list].sort(byName);
  return { ok: true, specs, kinds, files: sorted.length };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function fileItems(results: readonly { path: string; file: FileResult }[]): FileItems[] {
  return results.map(({ path, file }) => ({ file: path, specs: file.specs, ...(file.kinds ? { kinds: file.kinds } : {}), ...(file.claims ? { claims: file.claims } : {}) }));
}

/** Whether two specs of a kind share a name or an import (`specs` sorted by name): crossFileErrors then says where. */
function clashes(specs: readonly CredentialSpec[], kinds: KindSpecs): boolean {
  for (let i = 1; i < specs.length; i++) if ((specs[i] as CredentialSpec).name === (specs[i - 1] as CredentialSpec).name) return true;
  for (const list of [specs, ...OTHER_KIND_LISTS.map((kind) => kinds[kind])] as readonly (readonly { name: string; import?: string }[])[]) {
    const imports = new Set<string>();
    const names = list === specs ? null : new Set<string>();
    for (const spec of list) {
      if (names) {
        if (names.has(spec.name)) return true;
        names.add(spec.name);
      }
      if (spec.import === undefined) continue;
      if (imports.has(spec.import)) return true;
      imports.add(spec.import);
    }
  }
  return false;
}

/** Each file's errors with the cross-file ones placed among them, first ones and a count (into `errors`); the items the errors are named by. */
function fileErrors(results: readonly { path: string; file: FileResult }[], errors: SpecError[]): FileItems[] {
  const items = fileItems(results);
  const across = new Map<string, SpecError[]>();
  for (const error of crossFileErrors(items)) across.set(error.file, [...(across.get(error.file) ?? []), error]);
  for (const { path, file } of results) {
    // A hostile file can hold hundreds of thousands of errors; a person needs the first ones and a count.
    const sortedErrors = [...file.errors, ...(across.get(path) ?? [])].sort((a, b) => a.line - b.line || a.column - b.column);
    for (const error of sortedErrors.slice(0, MAX_ERRORS_PER_FILE)) errors.push(error);
    const more = Math.max(0, sortedErrors.length - MAX_ERRORS_PER_FILE) + (file.unlisted ?? 0);
    if (more > 0) {
      const last = sortedErrors[Math.min(MAX_ERRORS_PER_FILE, sortedErrors.length - 1)] as SpecError;
      errors.push({ code: "TOO_MANY_ERRORS", file: path, line: last.line, column: last.column, field: "", message: `${more} more errors in this file are not listed` });
    }
  }
  return items;
}

function loadFile(source: SpecSource, ownerId: string, limits: Limits, fastParse: boolean, last: FileResult | undefined, maxParseBytes: number | undefined): FileResult {
  const file = source.path;
  const budgeted = maxParseBytes !== undefined;
  const at = (code: SpecErrorCode, line: number, column: number, field: string, message: string): SpecError => ({ code, file, line, column, field, message });
  // Fast path: most files are valid, and js-yaml parses about ten times faster than a parse that keeps
  // positions. Positions are only needed for errors, so any file with an error is parsed again below.
  // A file written as a plain list is read item by item, reusing the items its last version had. When an item
  // is not valid alone the positional parse decides: js-yaml also accepts, whole, a quoted scalar that runs on
  // into the next entry, which yaml (and YAML) refuses.
  const items = fastParse ? splitItems(source.content) : null;
  const byItem = items ? loadItems(items, last, file, ownerId, limits, at) : null;
  if (byItem) return byItem;
  const fast = fastParse ? parseFast(source.content) : null;
  // The whole positional parse costs several times what the run charges for a file (a typo made 50 KB take 37 ms
  // for 8): errors are placed by parsing only their items, within a budget (error-path.ts).
  const budget = placeBudget(source.content.length, budgeted);
  if (fast) {
    const placed = placedFast(source.content, fast, budget);
    const result = validate(fast.data, placed.pos, file, ownerId, limits, at);
    // A file of items that was not valid item by item but is valid whole needs the positional parse to decide.
    // Errors placed with certainty (the unknown keys of a flat file, the failing items' fields) need no positional
    // parse; with a CPU budget, neither do the ones past it: those keep the fast parse's places.
    if (result.errors.length > 0 && (placed.exact() || budgeted)) return result;
    if (result.errors.length === 0 && !items) return result;
  } else if (fastParse && budgeted) {
    const syntax = fastSyntaxErrors(source.content, budget, at);
    if (syntax) return { specs: [], errors: syntax };
  }
  // Only the positional parse is left (an alias, a file js-yaml reads whole but not item by item): about five times
  // what the run charges a file, so under a CPU budget it takes only files that small.
  const refused = maxParseBytes === undefined ? null : positionalRefusal(file, source.content, maxParseBytes);
  if (refused) return refused;
  const lines = new LineCounter();
  const shape = scanShape(source.content, limits.maxDepth);
  if (shape) {
    const before = source.content.slice(0, shape.offset);
    const line = before.split("\n").length;
    return { specs: [], errors: [at(shape.code, line, shape.offset - before.lastIndexOf("\n"), "", shape.message)] };
  }
  // yaml's own unique-key check compares every pair of keys (60,000 keys took 24 s); duplicateKeys() uses a set.
  const docs = parseAllDocuments(source.content, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs) || docs.length === 0) {
    return { specs: [], errors: [at("NOT_A_MAPPING", 1, 1, "", "file is empty: expected a mapping with a `credentials` list")] };
  }
  if (docs.length > 1) {
    const second = lines.linePos(docs[1]?.range[0] ?? 0);
    return { specs: [], errors: [at("YAML_SYNTAX", second.line, second.col, "", "a spec file holds one YAML document; found a second")] };
  }
  const doc = docs[0] as Document.Parsed;
  const syntax = [...syntaxErrors(doc, lines), ...duplicateKeyErrors(doc, lines)].map((e) =>
    at("YAML_SYNTAX", e.line, e.column, e.field, e.message),
  );
  if (syntax.length > 0) return { specs: [], errors: syntax };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    // yaml throws a ReferenceError when aliases expand too much (billion laughs); deep nesting can overflow the stack.
    const reason = error instanceof ReferenceError ? "aliases expand too much (possible resource exhaustion)" : "document is nested too deeply";
    return { specs: [], errors: [at("YAML_LIMIT", 1, 1, "", reason)] };
  }
  return validate(data, (path, atKey = false) => locate(doc, lines, path, atKey), file, ownerId, limits, at);
}

/**
 * A valid file's specs, item by item: an item whose text the last version had is that version's spec, placed at
 * its new line and index; any other is parsed and validated alone. Null when any item is not valid alone
 * (an error, an alias, an unplaceable name): the whole file is then parsed, and its errors placed.
 */
function loadItems(items: ItemText[], last: FileResult | undefined, file: string, ownerId: string, limits: Limits, at: At): FileResult | null {
  const before = last?.items && last.errors.length === 0 && last.items.length === last.specs.length ? last.items : [];
  // The last version's items by text, built only when an item is not where the last version had it.
  let known: Map<string, number> | null = null;
  // How far the items moved since the last version (an item added or removed above shifts those below).
  let shift = 0;
  const specs: CredentialSpec[] = [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as ItemText;
    let was = before[index + shift]?.text === item.text ? index + shift : -1;
    if (was < 0 && before.length > 0) {
      if (known === null) {
        known = new Map();
        for (let i = 0; i < before.length; i++) known.set((before[i] as ItemText).text, i);
      }
      was = known.get(item.text) ?? -1;
      if (was >= 0) shift = was - index;
    }
    let spec: CredentialSpec;
    let line: number;
    if (was >= 0) {
      spec = last?.specs[was] as CredentialSpec;
      line = (before[was] as ItemText).line;
    } else {
      const fast = parseFastItem(item.text);
      if (!fast) return null;
      const result = validate(fast.data, fast.pos, file, ownerId, limits, at);
      if (result.errors.length > 0 || result.specs.length !== 1) return null;
      // Parsed alone, the item starts on line 1.
      spec = result.specs[0] as CredentialSpec;
      line = 1;
    }
    const source = { file, line: item.line + spec.source.line - line, column: spec.source.column, field: `credentials[${index}]` };
    // An item at its old place is its old spec (most items of a changed file): shared, not copied.
    const same = source.line === spec.source.line && source.field === spec.source.field && source.file === spec.source.file;
    specs.push(same ? spec : { ...spec, source });
  }
  return { specs, errors: [], items };
}

