// Splits a spec file into its credentials' texts, so a changed file parses only the items that changed.

/** One credential's text in a spec file: its "- " line up to the next item's, and the line it starts on. */
export interface ItemText {
  text: string;
  line: number;
}

/**
 * The items of a file written the usual way: comments, a `credentials:` line, then block-style "- " entries at
 * one indentation, with nothing at or left of that indentation but new entries, comments and blank lines.
 * Null for anything else (another top-level key, flow style, a document marker, a tab, a byte-order mark):
 * such a file is parsed whole.
 *
 * Within these rules an item means the same alone as in its file: a quoted scalar or flow collection that runs
 * into the next item leaves its own text unterminated, a block or plain scalar ends at a line this far left,
 * and an alias to another item's anchor is undefined alone; so every item that parses alone, parsed with the
 * others, gives what it gives alone (the loader parses each alone and falls back to the whole file otherwise).
 */
export function splitItems(content: string): ItemText[] | null {
  const items: ItemText[] = [];
  let stage: "header" | "first" | "items" = "header";
  let indent = 0;
  let start = 0;
  let startLine = 0;
  let line = 0;
  for (let offset = 0; offset < content.length; ) {
    const end = content.indexOf("\n", offset);
    const stop = end === -1 ? content.length : end;
    const here = offset;
    line++;
    offset = stop + 1;
    let spaces = 0;
    while (content.charCodeAt(here + spaces) === 32) spaces++;
    const first = here + spaces < stop ? content.charCodeAt(here + spaces) : -1;
    // Blank lines (a lone "\r" too) and comments belong to whatever they are in.
    if (first === -1 || first === 13 || first === 35) continue;
    if (stage === "header") {
      if (!CREDENTIALS_LINE.test(content.slice(here, stop))) return null;
      stage = "first";
      continue;
    }
    if (stage === "items" && spaces > indent) continue;
    // Anything else this far left must be the next entry, at the first entry's indentation.
    if (first !== 45 || !isEntryEnd(content.charCodeAt(here + spaces + 1), here + spaces + 1, stop)) return null;
    if (stage === "items" && spaces !== indent) return null;
    if (stage === "items") items.push({ text: content.slice(start, here), line: startLine });
    stage = "items";
    indent = spaces;
    start = here;
    startLine = line;
  }
  if (stage !== "items") return null;
  items.push({ text: content.slice(start), line: startLine });
  return items;
}

/** `credentials:` alone on its line, perhaps with a comment. */
const CREDENTIALS_LINE = /^credentials:[ ]*(?:#.*)?\r?$/;

/** After an entry's "-": a space, or the end of the line. */
function isEntryEnd(code: number, at: number, stop: number): boolean {
  return at >= stop || code === 32 || (code === 13 && at === stop - 1);
}
