// The fast parse of a spec file or one of its entries: js-yaml plus the names' positions, or null to take the slow path.
import jsyaml from "js-yaml";
import type { Pos } from "./errors.js";
import { KIND_LISTS } from "./kind-types.js";

/**
 * The fast parse: js-yaml (YAML 1.2 core schema, duplicate keys refused), plus the position of each credential's
 * `name` from a scan of block-style `name:` lines. It gives up (null) on anything unusual: a parse error, an
 * alias (js-yaml shares aliased nodes; the slow path limits their expansion), or names it cannot place
 * exactly. The slow path then decides, with positions.
 */
export function parseFast(content: string): { data: unknown; pos: Pos } | null {
  const data = loadFast(content);
  if (data === null || typeof data !== "object" || sharesNodes(data)) return null;
  return placeNames(data, content);
}

/** The fast parse of one item's text (a "- " entry): as parseFast, for a file holding only that item. */
export function parseFastItem(text: string): { data: unknown; pos: Pos } | null {
  const list = loadFast(text);
  if (!Array.isArray(list) || list.length !== 1 || sharesNodes(list)) return null;
  return placeNames({ credentials: list }, text);
}

function loadFast(content: string): unknown {
  try {
    return jsyaml.load(content, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return null;
  }
}

/** Where each item's `name` is, from a scan of its `name:` lines; null when they cannot be placed exactly. */
function placeNames(data: object, content: string): { data: unknown; pos: Pos } | null {
  // js-yaml keeps keys in document order, so the lists' items come in the order their `name:` lines do.
  const lists = Object.keys(data).filter((key) => (KIND_LISTS as readonly string[]).includes(key));
  const items: unknown[] = [];
  const firstOf = new Map<string, number>();
  for (const key of lists) {
    const list = (data as Record<string, unknown>)[key];
    if (!Array.isArray(list)) return null;
    firstOf.set(key, items.length);
    for (const item of list) items.push(item);
  }
  if (lists.length === 0) return null;
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
    data,
    pos: (path) => {
      const first = typeof path[0] === "string" ? firstOf.get(path[0]) : undefined;
      return path.length === 3 && first !== undefined && path[2] === "name" && typeof path[1] === "number" ? (places[first + path[1]] ?? { line: 1, column: 1 }) : { line: 1, column: 1 };
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
    for (const child of Object.values(node)) if (child !== null && typeof child === "object") stack.push(child);
  }
  return false;
}
