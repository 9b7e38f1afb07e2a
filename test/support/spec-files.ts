// Packs spec entries into spec files each within the Worker's per-file parse limit (FILE_OVER_CPU_BUDGET), in UTF-8 bytes.
import { maxParseBytes, unitsForCpuMs } from "../../src/run/cpu-units.js";

/** The most bytes one spec file may have on Workers Free (MAX_CPU_MS 10, wrangler.toml's default). */
export const FREE_PARSE_BYTES = maxParseBytes(unitsForCpuMs(10));

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/**
 * Spec files named `name(index)`, each `credentials:` then whole entries (each entry its lines, newline-ended),
 * filled in order until the next entry would pass `maxBytes`.
 */
export function packSpecFiles(name: (index: number) => string, entries: readonly string[], maxBytes: number = FREE_PARSE_BYTES): Record<string, string> {
  const header = "credentials:\n";
  const files: Record<string, string> = {};
  let body = header;
  let bytes = utf8(header);
  const flush = () => {
    if (body !== header) files[name(Object.keys(files).length)] = body;
    body = header;
    bytes = utf8(header);
  };
  for (const entry of entries) {
    const size = utf8(entry);
    if (utf8(header) + size > maxBytes) throw new Error(`one entry is ${size} bytes: no file of ${maxBytes} bytes holds it`);
    if (bytes + size > maxBytes) flush();
    body += entry;
    bytes += size;
  }
  flush();
  return files;
}
