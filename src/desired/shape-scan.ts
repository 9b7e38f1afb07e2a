// Refuses pathological nesting and sizes from the lexer's tokens, before the YAML parser builds a tree.
import { Lexer } from "yaml";
import type { SpecErrorCode } from "./errors.js";

/** Far above any real spec file (10,000 credentials of 6 fields is 60,000 values; they use no anchors or tags). */
const MAX_VALUES = 200_000;
const MAX_PROPERTIES = 1_000;

/**
 * Refuses deep nesting and extra documents from the lexer's tokens, before the parser runs: the parser builds
 * the whole syntax tree first (about 500 bytes a level), so 1 MiB of "[" or "- " took seconds and over 500 MB
 * before the depth limit could be checked. Counts flow brackets, plus "-" and "?" chained on one line; both
 * are lower bounds of the real depth, so nothing the later check accepts is refused here.
 */
export function scanShape(content: string, maxDepth: number): { code: SpecErrorCode; offset: number; message: string } | null {
  let flow = 0;
  let chain = 0;
  let documents = 0;
  let offset = 0;
  let scalar = false;
  let previous = "";
  let properties = 0;
  let values = 0;
  for (const token of new Lexer().lex(content)) {
    const at = offset;
    const after = previous;
    previous = token;
    // DOCUMENT, FLOW_END and SCALAR are markers, not text; a scalar's text follows its marker.
    // A document starts at DOCUMENT, or at a "---" that does not directly follow one.
    if (token === "\x02" || (token === "---" && after !== "\x02")) {
      if (++documents > 1) return { code: "YAML_SYNTAX", offset: at, message: "a spec file holds one YAML document; found a second" };
      if (token === "\x02") continue;
    }
    if (token === "\x18") continue;
    if (token === "\x1f") {
      scalar = true;
      continue;
    }
    offset += token.length;
    if (scalar) {
      scalar = false;
      // Each value and each anchor, tag or alias costs the positional parser hundreds of bytes; a flat hostile
      // file of them (340,000 in 1 MiB) took seconds and over 300 MB, more than a Worker has.
      if (++values > MAX_VALUES) return { code: "YAML_LIMIT", offset: at, message: `more than ${MAX_VALUES} values in one file; split it` };
      continue;
    }
    if (token.startsWith("&") || token.startsWith("!") || token.startsWith("*")) {
      if (++properties > MAX_PROPERTIES) return { code: "YAML_LIMIT", offset: at, message: `more than ${MAX_PROPERTIES} anchors, tags and aliases in one file` };
    }
    if (token === "[" || token === "{") flow++;
    else if (token === "]" || token === "}") flow = Math.max(0, flow - 1);
    else if (token === "-" || token === "?") chain++;
    else if (token.includes("\n") || token.includes("\r")) chain = 0;
    // Reported at 1:1 like the depth check after parsing, so both give the same error.
    if (flow + chain > maxDepth) return { code: "YAML_LIMIT", offset: 0, message: `document is nested deeper than ${maxDepth} levels` };
  }
  return null;
}
