// Places errors inside list items by parsing with positions only the items that fail, each alone, within a byte budget.
import { isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";
import type { ItemSpan } from "./list-items.js";
import { locate } from "./positions.js";

export interface ItemPlaces {
  /** The place of `path` when it is inside an item ([list, index, …]) the budget could parse; else undefined. */
  place(path: readonly (string | number)[], atKey: boolean): { line: number; column: number } | undefined;
  /** Whether an item parsed alone disagreed with the fast parse (a YAML error there, or other data): its places are not given. */
  doubt(): boolean;
}

/**
 * The positional parse costs several times the fast one per byte (650–900 µs/KB against about 160 for the whole
 * fast path), so a file's errors are placed by parsing only their items' texts, each alone, and only up to `budget`
 * bytes of them in all: a file with one typo pays for one item. An item's text alone means what it means in its file
 * (a block entry ends at a line this far left); each is still checked against the fast parse's item, and any
 * difference is doubt. Lines and columns are the item's own plus its first line's.
 */
export function itemPlaces(content: string, lists: ReadonlyMap<string, readonly ItemSpan[]>, data: Record<string, unknown>, budget: number): ItemPlaces {
  const parsed = new Map<string, { doc: Document.Parsed; lines: LineCounter } | null>();
  let left = budget;
  let doubt = false;
  const parse = (list: string, index: number) => {
    const id = `${list}\0${index}`;
    if (parsed.has(id)) return parsed.get(id) ?? null;
    const span = lists.get(list)?.[index];
    let got: { doc: Document.Parsed; lines: LineCounter } | null = null;
    if (span && span.end - span.start <= left) {
      left -= span.end - span.start;
      const lines = new LineCounter();
      const docs = parseAllDocuments(content.slice(span.start, span.end), { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
      const doc = Array.isArray(docs) && docs.length === 1 ? (docs[0] as Document.Parsed) : null;
      const agrees = doc !== null && doc.errors.length === 0 && isSeq(doc.contents) && doc.contents.items.length === 1 && sameData(doc, (data[list] as unknown[])[index]);
      if (agrees) got = { doc, lines };
      else doubt = true;
    }
    parsed.set(id, got);
    return got;
  };
  return {
    place(path, atKey) {
      const [list, index, ...rest] = path;
      if (typeof list !== "string" || typeof index !== "number" || !lists.has(list)) return undefined;
      const item = parse(list, index);
      const span = lists.get(list)?.[index];
      if (!item || !span) return undefined;
      const p = locate(item.doc, item.lines, [0, ...rest], atKey);
      return { line: span.line + p.line - 1, column: p.column };
    },
    doubt: () => doubt,
  };
}

/** Whether the item parsed alone holds what the fast parse read (both keep keys in document order). */
function sameData(doc: Document.Parsed, item: unknown): boolean {
  try {
    return JSON.stringify((doc.toJS({ maxAliasCount: 0 }) as unknown[])[0]) === JSON.stringify(item);
  } catch {
    // An alias (the fast parse refuses them) or nesting too deep to copy: not certain, so the caller places otherwise.
    return false;
  }
}
