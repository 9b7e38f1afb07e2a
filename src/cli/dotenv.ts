// A tiny reader for dotenv-style files (.dev.vars): KEY=VALUE lines, # comments, optional quotes and `export`.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isErrno } from "../vault/file-store.js";

export const DEV_VARS = ".dev.vars";

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/**
 * Lines that are not KEY=VALUE are skipped rather than reported: the file is the Worker's too, and
 * wrangler is the authority on its syntax. Values are never echoed (they are secrets).
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const key = match[1] as string;
    let value = (match[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    } else {
      // An unquoted value ends at a " #" comment.
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    out[key] = value;
  }
  return out;
}

/** `.dev.vars` in `dir`, parsed; {} when there is none. */
export async function readDevVars(dir: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(join(dir, DEV_VARS), "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return {};
    throw new Error(`cannot read ${DEV_VARS}: ${error instanceof Error && "code" in error ? String(error.code) : "unreadable"}`);
  }
  return parseDotenv(text);
}
