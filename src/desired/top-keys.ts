// Where a block mapping's top-level keys are, from one pass over the lines: the fast parse's places for them.

export interface TopKeys {
  /** Line (1-based) of each of the first PLACED_KEYS top-level keys; every one is at column 1. */
  lines: Map<string, number>;
  /** The line of the document's mapping: its first key. */
  first: number;
}

/**
 * The top-level keys' lines, or null unless they are certain: the file must open (after blank lines, comments and
 * one `---`) with a plain key at column 1, every other line at column 1 be a plain key, a comment or a "- " entry,
 * and the keys so found be exactly `keys` (the parsed mapping's, in order). A line that only looks like a key (the
 * continuation of a quoted string, say) makes the lists differ; then the positional parse places the errors.
 */
export function topKeys(content: string, keys: readonly string[]): TopKeys | null {
  const lines = new Map<string, number>();
  let first = 0;
  let line = 0;
  let index = 0;
  for (let start = 0; start <= content.length; line++) {
    const end = content.indexOf("\n", start);
    const stop = end === -1 ? content.length : end;
    const c = content.charCodeAt(start);
    const at = start;
    start = stop + 1;
    // Indented lines, blank lines and comments belong to what is above them (or to nothing).
    if (c === 32 || c === 9 || c === 13 || c === 35 || at >= stop) continue;
    if (c === 45) {
      const text = content.slice(at, stop);
      if (first === 0 && DOCUMENT_START.test(text)) continue;
      if (first !== 0 && ENTRY.test(text)) continue;
      return null;
    }
    // Sticky, from the line's start: no copy of each line (a hostile file has 60,000).
    PLAIN_KEY.lastIndex = at;
    const key = PLAIN_KEY.exec(content)?.[1]?.trimEnd();
    // The keys are the parsed mapping's, so distinct; only the first are kept, the ones errors can be listed for.
    if (key === undefined || keys[index] !== key) return null;
    if (index < PLACED_KEYS) lines.set(key, line + 1);
    if (first === 0) first = line + 1;
    index++;
    if (end === -1) break;
  }
  return index === keys.length && first !== 0 ? { lines, first } : null;
}

/** Keys placed: a file lists 100 errors, and its unknown top-level keys come first in its keys' order. */
const PLACED_KEYS = 1000;

const DOCUMENT_START = /^---[ \t]*(?:#.*)?\r?$/;
/** A "- " entry (or a bare "-") at column 1: a list under the key above it, which YAML allows unindented. */
const ENTRY = /^-(?:[ \t]|\r?$)/;
/** A plain scalar key with its ": " (or ":" at the end); it cannot open with an indicator, nor hold " #" or ": ". */
const PLAIN_KEY = /([^\s#'"[\]{},&*!|>%@`?:-](?:[^:#\r\n]|:(?=\S)|(?<=\S)#)*?)[ \t]*:(?=[ \t]|\r?\n|\r?$)/y;
