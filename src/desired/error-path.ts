// A file with errors, placed without the whole positional parse: only its failing items are parsed with positions.
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import type { At, Pos, SpecError } from "./errors.js";
import { fastSyntaxError, type FastParse } from "./fast-parse.js";
import { itemPlaces } from "./item-places.js";
import { listItems } from "./list-items.js";
import { duplicateKeyErrors, syntaxErrors } from "./yaml-errors.js";

/**
 * Bytes of item text a file's errors may parse with positions: all of them without a CPU budget, else an eighth of
 * the file (at least MIN_PLACE_BYTES), so that the error path stays within what the run charges for the file's parse (src/run/cpu-units.ts):
 * the fast parse and checks cost about half the charge, the positional parse about six times it per byte.
 */
export function placeBudget(bytes: number, budgeted: boolean): number {
  return budgeted ? Math.max(Math.floor(bytes / 8), MIN_PLACE_BYTES) : Number.POSITIVE_INFINITY;
}

/**
 * What any file's errors may parse with positions under a budget, however small the file: an item or a few (the
 * bench's are 270 bytes), so a typo in a small file is placed at its line, not at line 1. At about 0.9 µs a byte
 * that is under 1 ms, within the invocation's headroom (cpu-units.ts CPU_HEADROOM).
 */
export const MIN_PLACE_BYTES = 1024;

/** The fast parse's places, with the errors inside list items placed by parsing those items alone. */
export function placedFast(content: string, fast: FastParse, budget: number): { pos: Pos; exact(): boolean } {
  const data = fast.data as Record<string, unknown>;
  const keys = Array.isArray(data) ? [] : Object.keys(data);
  const lengths = keys.map((key) => (Array.isArray(data[key]) ? (data[key] as unknown[]).length : -1));
  const lists = keys.length > 0 && !lengths.includes(-1) ? listItems(content, keys, lengths) : null;
  const places = lists ? itemPlaces(content, lists, data, budget) : null;
  return {
    // Names first: every valid item's source is placed at its name, which the fast parse knows; only errors parse items.
    pos: (path, atKey = false) => fast.known(path, atKey) ?? places?.place(path, atKey) ?? fast.pos(path, atKey),
    exact: () => fast.exact() && !(places?.doubt() ?? false),
  };
}

/**
 * A syntax error the fast parser found, placed: the positional parse of the entry it is in, alone, when that fits
 * the budget and finds it there; else where js-yaml stopped, with its reason. Null when js-yaml parsed the file
 * (the fast parse gave up for another reason: an alias, a name it could not place).
 */
export function fastSyntaxErrors(content: string, budget: number, at: At): SpecError[] | null {
  const stop = fastSyntaxError(content);
  if (stop === null) return null;
  const lists = listItems(content, null);
  for (const [list, items] of lists ?? []) {
    const index = items.findIndex((item, i) => item.line <= stop.line && (items[i + 1]?.line ?? Number.POSITIVE_INFINITY) > stop.line);
    const item = items[index];
    if (!item || item.end - item.start > budget) continue;
    const lines = new LineCounter();
    const docs = parseAllDocuments(content.slice(item.start, item.end), { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
    if (!Array.isArray(docs) || docs.length !== 1) break;
    const doc = docs[0] as Document.Parsed;
    const found = [...syntaxErrors(doc, lines), ...duplicateKeyErrors(doc, lines)];
    if (found.length === 0) break;
    // The item alone is a list of one: its fields' paths start "[0]", which in the file is this entry.
    return found.map((e) => at("YAML_SYNTAX", item.line + e.line - 1, e.column, e.field.replace(/^\[0\]/, `${list}[${index}]`), e.message));
  }
  return [at("YAML_SYNTAX", stop.line, stop.column, "", stop.message)];
}
