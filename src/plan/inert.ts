// Untrusted text made inert for GitHub markdown: invisible and control characters shown escaped, code spans that cannot be broken out of.

/**
 * Characters that change how text reads without being seen, or end a line: controls (Cc), format characters (Cf:
 * bidi overrides and isolates such as U+202E, zero-width characters, the BOM, tag characters), line and paragraph
 * separators, private-use code points and lone surrogates.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}]/gu;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `\n`, `\r`, `\t` by name, every other hidden character as `\u202E` (or `\u{E0041}` past the BMP). */
export function showHidden(text: string): string {
  return text.replace(HIDDEN, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0) ?? 0;
    const hex = code.toString(16).toUpperCase();
    return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, "0")}`;
  });
}

/**
 * An inline code span holding `text` literally: GitHub renders no mention, link, image, emphasis, heading or
 * HTML inside it. Hidden characters are escaped first (a newline would end the span's paragraph), and the
 * fence is one backtick longer than the longest run of backticks inside, so nothing closes it early.
 */
export function code(text: string): string {
  const shown = showHidden(text);
  if (shown === "") return "` `";
  let longest = 0;
  for (const run of shown.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(shown) ? " " : "";
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * A fenced code block holding `lines` literally: hidden characters escaped in each line (none can be split or
 * reordered on screen), and a fence longer than any run of backticks inside, so no line closes it early.
 */
export function codeBlock(lines: readonly string[], info = ""): string {
  const shown = lines.map(showHidden);
  let longest = 2;
  for (const line of shown) for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  return [`${fence}${info}`, ...shown, fence].join("\n");
}
