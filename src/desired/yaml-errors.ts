// YAML syntax errors a person can act on: the key path they are in, and where an unclosed construct opened.
import { isMap, isNode, isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Node, type YAMLError } from "yaml";
import { fieldPath } from "./errors.js";

/**
 * Errors placed with their key path per file; past it (a hostile file can hold hundreds of thousands) only
 * the position is given, which costs nothing: a file lists at most 100 errors anyway.
 */
export const MAX_PLACED = 100;

export interface PlacedSyntaxError {
  line: number;
  column: number;
  /** The key path the error is in, e.g. credentials[0].description; "" at the top. */
  field: string;
  message: string;
}

/**
 * One parse error, placed. An unclosed quote or flow collection is reported where it opened (that is where
 * the fix goes), saying where the parser noticed; other errors stay where the parser found them.
 */
export function placeSyntaxError(doc: Document.Parsed, lines: LineCounter, error: YAMLError): PlacedSyntaxError {
  const offset = error.pos[0];
  const found = lines.linePos(offset);
  const first = error.message.split("\n")[0] ?? error.message;
  const inner = innermost(doc, offset);
  const field = fieldPath(inner.path);
  const node = inner.node;
  const opened = node ? lines.linePos(node.range?.[0] ?? offset) : found;
  const noticed = `line ${found.line}, column ${found.col}`;
  if (error.code === "MISSING_CHAR" && /closing ["']?quote/i.test(first) && isScalar(node)) {
    const quote = node.type === "QUOTE_SINGLE" ? "'" : '"';
    return { line: opened.line, column: opened.col, field, message: `Missing closing quote: the string opened here with ${quote} never ends (it runs on to ${noticed})` };
  }
  if (/^Flow (sequence|map)/.test(first) && (isSeq(node) || isMap(node)) && node.flow) {
    const [kind, open, close] = isSeq(node) ? ["sequence", "[", "]"] : ["map", "{", "}"];
    return { line: opened.line, column: opened.col, field, message: `the "${open}" opened here is not closed where YAML expects: a flow ${kind} ends with "${close}", and its lines are indented more than its key (noticed at ${noticed})` };
  }
  return { line: found.line, column: found.col, field, message: first };
}

/** Every parse error of `doc`: the first MAX_PLACED placed, the rest at the parser's position. */
export function syntaxErrors(doc: Document.Parsed, lines: LineCounter): PlacedSyntaxError[] {
  return doc.errors.map((error, i) => {
    if (i < MAX_PLACED) return placeSyntaxError(doc, lines, error);
    const at = lines.linePos(error.pos[0]);
    return { line: at.line, column: at.col, field: "", message: error.message.split("\n")[0] ?? error.message };
  });
}

/** Keys that repeat an earlier key of the same mapping (scalar keys compared by value, as YAML does), placed. */
export function duplicateKeyErrors(doc: Document.Parsed, lines: LineCounter): PlacedSyntaxError[] {
  const out: PlacedSyntaxError[] = [];
  visit(doc, {
    Map(_, map, ancestors) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const key = pair.key;
        // Complex keys (a mapping or list as a key) are never valid in a spec: the schema refuses them, and
        // stringifying one to compare can be exponential, so they are not compared here.
        if (isNode(key) && !isScalar(key)) continue;
        const id = isScalar(key) ? `${typeof key.value}:${String(key.value)}` : "null:";
        const offset = isScalar(key) ? (key.range?.[0] ?? 0) : 0;
        const earlier = seen.get(id);
        if (earlier === undefined) {
          seen.set(id, offset);
          continue;
        }
        const name = isScalar(key) ? String(key.value) : "";
        const at = lines.linePos(offset);
        const first = lines.linePos(earlier);
        out.push({
          line: at.line,
          column: at.col,
          // The path costs a search of each ancestor list: only for the errors that will be listed.
          field: out.length < MAX_PLACED ? fieldPath([...pathOf(ancestors, map), name]) : "",
          message: `Map keys must be unique: "${name}" is already set at line ${first.line}, column ${first.col} of this mapping`,
        });
      }
    },
  });
  return out;
}

/** The key path of `node` from the ancestors `visit` gives (Document, maps, pairs and sequences). */
function pathOf(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    const next = chain[i + 1];
    if (isPair(here) && isScalar(here.key)) path.push(String(here.key.value));
    else if (isSeq(here)) path.push(here.items.indexOf(next as never));
  }
  return path;
}

/** The deepest node whose range holds `offset`, and its key path; lists are searched by halves (they are in order). */
function innermost(doc: Document.Parsed, offset: number): { node: Node | null; path: (string | number)[] } {
  let node: Node | null = isNode(doc.contents) ? doc.contents : null;
  const path: (string | number)[] = [];
  const holds = (n: unknown): n is Node => isNode(n) && n.range !== undefined && n.range !== null && n.range[0] <= offset && offset <= n.range[1];
  for (;;) {
    let next: Node | null = null;
    if (isMap(node)) {
      const index = search(node.items.length, (i) => {
        const pair = node && isMap(node) ? node.items[i] : undefined;
        return isNode(pair?.value) && pair.value.range ? pair.value.range[1] : isNode(pair?.key) && pair.key.range ? pair.key.range[1] : -1;
      });
      const pair = index >= 0 ? node.items[index] : undefined;
      if (pair && (holds(pair.value) || (holds(pair.key) && !isScalar(pair.key)))) {
        next = (holds(pair.value) ? pair.value : pair.key) as Node;
        path.push(isScalar(pair.key) ? String(pair.key.value) : "?");
      }
    } else if (isSeq(node)) {
      const seq = node;
      const index = search(seq.items.length, (i) => {
        const item = seq.items[i];
        return isNode(item) && item.range ? item.range[1] : -1;
      });
      if (index >= 0 && holds(seq.items[index])) {
        next = seq.items[index] as Node;
        path.push(index);
      }
    }
    if (!next) return { node, path };
    node = next;
  }

  /** The first of `length` entries whose end (`endOf`, increasing) is at or past `offset`; -1 if none. */
  function search(length: number, endOf: (i: number) => number): number {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (endOf(mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < length ? lo : -1;
  }
}
