// Where each top-level list's "- " entries are, from one pass over the lines: the failing items' texts for placing errors.

/** One entry's text: from its "- " line's start up to the next entry, a top-level key or the end of the file. */
export interface ItemSpan {
  start: number;
  end: number;
  /** The line (1-based) its "- " is on. */
  line: number;
}

/**
 * The entries of each top-level list of a block-style file: every line at column 1 is a plain key alone on its
 * line (`credentials:`), a comment, one leading `---`, or an entry; a list's entries all sit at its first entry's
 * indentation, and nothing sits left of it. A line scan cannot tell a continued scalar from an entry, so a caller
 * checks the spans against the parsed document (`keys`, then each list's length) and each span's text alone.
 * Null when the lines do not look like that; `keys` null (a file the fast parse refused) skips the checks.
 */
export function listItems(content: string, keys: readonly string[] | null, lengths: readonly number[] = []): Map<string, ItemSpan[]> | null {
  const lists = new Map<string, ItemSpan[]>();
  let items: ItemSpan[] | null = null;
  let indent = -1;
  let line = 0;
  let index = 0;
  const close = (at: number) => {
    const last = items?.[items.length - 1];
    if (last && last.end < 0) last.end = at;
  };
  for (let start = 0; start < content.length; ) {
    const end = content.indexOf("\n", start);
    const stop = end === -1 ? content.length : end;
    const at = start;
    start = stop + 1;
    line++;
    let spaces = 0;
    while (content.charCodeAt(at + spaces) === 32) spaces++;
    const c = at + spaces < stop ? content.charCodeAt(at + spaces) : -1;
    if (c === -1 || c === 13 || c === 35) continue;
    if (c === 9) return null;
    const entry = c === 45 && (at + spaces + 1 >= stop || content.charCodeAt(at + spaces + 1) === 32 || (content.charCodeAt(at + spaces + 1) === 13 && at + spaces + 2 >= stop));
    if (items !== null && indent >= 0 && spaces > indent) continue;
    if (entry && items !== null && (indent < 0 || spaces === indent)) {
      close(at);
      indent = spaces;
      items.push({ start: at, end: -1, line });
      continue;
    }
    if (spaces > 0) return null;
    const text = content.slice(at, stop);
    if (lists.size === 0 && items === null && DOCUMENT_START.test(text)) continue;
    const key = LIST_KEY.exec(text)?.[1];
    if (key === undefined || (keys !== null && keys[index] !== key) || lists.has(key)) return null;
    close(at);
    items = [];
    indent = -1;
    lists.set(key, items);
    index++;
  }
  close(content.length);
  if (keys === null) return lists;
  if (index !== keys.length) return null;
  for (let i = 0; i < keys.length; i++) if (lists.get(keys[i] as string)?.length !== lengths[i]) return null;
  return lists;
}

const DOCUMENT_START = /^---[ \t]*(?:#.*)?\r?$/;
/** A top-level list's key alone on its line: `credentials:`, perhaps with a comment. */
const LIST_KEY = /^([a-z_]+):[ \t]*(?:#.*)?\r?$/;
