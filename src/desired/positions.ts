// Maps a path inside a parsed YAML document to the line and column a person should look at.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export interface Position {
  line: number;
  column: number;
}

/**
 * The position of the node at `path`, or of its key when `atKey` (unknown keys point at the key).
 * A path that does not exist (a missing field) resolves to the deepest node that does.
 */
export function locate(doc: Document, lines: LineCounter, path: readonly (string | number)[], atKey = false): Position {
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) break;
      const key = pair.key as Node;
      if (last && atKey) {
        offset = key.range?.[0] ?? offset;
        break;
      }
      const value = pair.value as Node | null;
      // `name:` with nothing after it has no value node: point at the key.
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      node = value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}
