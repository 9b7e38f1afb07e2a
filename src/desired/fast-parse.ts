// The fast parse of a spec file or one of its entries: js-yaml plus the names' positions, or null to take the slow path.
import jsyaml from "js-yaml";
import type { Pos } from "./errors.js";
import { KIND_LISTS } from "./kind-types.js";
import { topKeys, type TopKeys } from "./top-keys.js";

/**
 * The fast parse: js-yaml (YAML 1.2 core schema, duplicate keys refused), plus the position of each credential's
 * `name` from a scan of block-style `name:` lines. It gives up (null) on anything unusual: a parse error, an
 * alias (js-yaml shares aliased nodes; the slow path limits their expansion), or names it cannot place
 * exactly. The slow path then decides, with positions.
 */
export function parseFast(content: string): FastParse | null {
  const data = loadFast(content);
  if (data === null || typeof data !== "object" || sharesNodes(data)) return null;
  const named = placeNames(data, content);
  if (!named) return null;
  // The top-level keys and the mapping itself are placed from a scan of the lines, when first asked for.
  let top: TopKeys | null | undefined;
  const topOf = () => (top === undefined ? (top = Array.isArray(data) ? null : topKeys(content, Object.keys(data))) : top);
  let exact = true;
  return {
    data,
    known: (path, atKey = false) => {
      const place = named.place(path);
      if (place) return place;
      const line = path.length === 0 ? topOf()?.first : path.length === 1 && atKey && typeof path[0] === "string" ? topOf()?.lines.get(path[0]) : undefined;
      return line !== undefined ? { line, column: 1 } : undefined;
    },
    pos(path, atKey = false) {
      const place = this.known(path, atKey);
      if (place) return place;
      exact = false;
      return { line: 1, column: 1 };
    },
    exact: () => exact,
  };
}

/** The fast parse of a whole file. */
export interface FastParse {
  data: unknown;
  pos: Pos;
  /** The place of `path` when the fast parse is certain of it (a name, a top-level key), else undefined. */
  known(path: (string | number)[], atKey?: boolean): { line: number; column: number } | undefined;
  /** Whether every place `pos` gave so far was certain (a guess is 1:1): errors placed so need no positional parse. */
  exact(): boolean;
}

/** The fast parse of one item's text (a "- " entry): as parseFast, for a file holding only that item. */
export function parseFastItem(text: string): { data: unknown; pos: Pos } | null {
  const list = loadFast(text);
  if (!Array.isArray(list) || list.length !== 1 || sharesNodes(list)) return null;
  const data = { credentials: list };
  const named = placeNames(data, text);
  return named && { data, pos: (path) => named.place(path) ?? { line: 1, column: 1 } };
}

/** Where js-yaml stopped on a file it could not parse (1-based), or null when it parsed it. */
export function fastSyntaxError(content: string): { line: number; column: number; message: string } | null {
  try {
    jsyaml.load(content, { schema: jsyaml.CORE_SCHEMA });
    return null;
  } catch (error) {
    if (!(error instanceof jsyaml.YAMLException)) throw error;
    return { line: error.mark.line + 1, column: error.mark.column + 1, message: error.reason };
  }
}

function loadFast(content: string): unknown {
  try {
    return jsyaml.load(content, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return null;
  }
}

/** Where each item's `name` is, from a scan of its `name:` lines; null when they cannot be placed exactly. */
function placeNames(data: object, content: string): { place(path: (string | number)[]): { line: number; column: number } | undefined } | null {
  // js-yaml keeps keys in document order, so the lists' items come in the order their `name:` lines do.
  const present = KIND_LISTS.filter((key) => Object.hasOwn(data, key));
  // Their order in the file, from the keys only when there are two to order (a hostile file has 60,000 keys).
  const lists = present.length < 2 ? present : Object.keys(data).filter((key) => (present as readonly string[]).includes(key));
  const items: unknown[] = [];
  const firstOf = new Map<string, number>();
  for (const key of lists) {
    const list = (data as Record<string, unknown>)[key];
    if (!Array.isArray(list)) return null;
    firstOf.set(key, items.length);
    for (const item of list) items.push(item);
  }
  const names = [...content.matchAll(NAME_LINE)];
  if (names.length !== items.length) return null;
  const places: { line: number; column: number }[] = [];
  let offset = 0;
  let line = 1;
  for (let i = 0; i < names.length; i++) {
    const match = names[i] as RegExpMatchArray;
    const item = items[i] as { name?: unknown } | null;
    if (typeof item !== "object" || item === null || item.name !== (match[3] ?? match[4] ?? match[5])) return null;
    const at = match.index ?? 0;
    for (; offset < at; offset++) if (content.charCodeAt(offset) === 10) line++;
    // The value's first character (a quote, for a quoted name), as the slow path's positions give it.
    places.push({ line, column: (match[1] ?? "").length + "name:".length + (match[2] ?? "").length + 1 });
  }
  return {
    place: (path) => {
      const first = typeof path[0] === "string" ? firstOf.get(path[0]) : undefined;
      return path.length === 3 && first !== undefined && path[2] === "name" && typeof path[1] === "number" ? places[first + path[1]] : undefined;
    },
  };
}

/** `  - name: ci-runners`, `    name: "web"`: a credential's name on a line of its own (block style). */
const NAME_LINE = /^([ ]*(?:-[ ]+)?)name:([ ]+)(?:"([a-z0-9][a-z0-9\-_.]{0,62})"|'([a-z0-9][a-z0-9\-_.]{0,62})'|([a-z0-9][a-z0-9\-_.]{0,62}))[ ]*(?:#.*)?\r?$/gm;

/** True when one object or array is reachable twice: an alias was used. */
function sharesNodes(root: object): boolean {
  const seen = new Set<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    if (seen.has(node)) return true;
    seen.add(node);
    // for…in reads a dictionary-mode object (a hostile mapping of 60,000 keys) in place; Object.values copies it.
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const child = record[key];
      if (child !== null && typeof child === "object") stack.push(child);
    }
  }
  return false;
}
