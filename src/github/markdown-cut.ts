// Cutting markdown to a size limit without creating markup: at a line boundary, with code blocks and code spans closed.

/** An opening or closing code fence (CommonMark: up to 3 spaces, then 3 or more backticks or tildes). */
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * `text` cut so that it and `note` fit in `max` (as `size` measures: UTF-16 units for a comment, UTF-8 bytes for a
 * check). A cut mid-line could leave a code span open, and everything after its opening backticks (a spec's
 * `www.` name, an `@` mention) would render live: so the cut is at a line boundary, a fenced block left open is
 * closed with its own fence, and a paragraph whose backticks no longer pair up (a span crossing the cut) is
 * dropped whole. A text that fits is returned as it is.
 */
export function cutMarkdown(text: string, max: number, size: (s: string) => number, note: string): string {
  if (size(text) <= max) return text;
  const lines = text.split("\n");
  const room = max - size(note);
  let used = 0;
  let fence: string | null = null;
  let kept = 0;
  let keptFence: string | null = null;
  for (const [i, line] of lines.entries()) {
    const next = nextFence(fence, line);
    const cost = size(line) + (i > 0 ? 1 : 0);
    const closing = next === null ? 0 : size(next) + 1;
    if (used + cost + closing > room) break;
    used += cost;
    fence = next;
    kept = i + 1;
    keptFence = fence;
  }
  let out = lines.slice(0, kept);
  if (keptFence !== null) out.push(keptFence);
  else out = dropOpenParagraph(out);
  return out.join("\n") + note;
}

/** The fence still open after `line`: a line of the opening fence's character, at least as long, closes it. */
function nextFence(open: string | null, line: string): string | null {
  const match = FENCE.exec(line);
  if (open === null) return match?.[1] ? match[1] : null;
  const run = match?.[1];
  const closes = run !== undefined && run[0] === open[0] && run.length >= open.length && line.trim() === run;
  return closes ? null : open;
}

/** Drops the last paragraph when a backtick run in it has lost its partner to the cut (it would open nothing, exposing what it held). */
function dropOpenParagraph(lines: string[]): string[] {
  let start = lines.length;
  while (start > 0 && (lines[start - 1] ?? "").trim() !== "" && !FENCE.test(lines[start - 1] ?? "")) start--;
  return spansPair(lines.slice(start).join("\n")) ? lines : lines.slice(0, start);
}

/** Whether every backtick run of `text` is paired with a later run of the same length (CommonMark's code spans). */
function spansPair(text: string): boolean {
  const runs = [...text.matchAll(/`+/g)].map((m) => m[0].length);
  for (let i = 0; i < runs.length; ) {
    // The runs between an opener and its closer are inside the span: the scan goes on after the closer.
    const j = runs.indexOf(runs[i] as number, i + 1);
    if (j < 0) return false;
    i = j + 1;
  }
  return true;
}
