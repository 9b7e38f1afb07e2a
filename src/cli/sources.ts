// Reads a local credentials folder as spec sources, named `credentials/<relative path>` as they are in the repository.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { isSpecPath } from "../spec/load.js";
import type { SpecSource } from "../spec/types.js";
import { CliError } from "./errors.js";

/** Every `*.yaml` / `*.yml` under `dir` (nested folders included, symlinks not followed), sorted by path. */
export async function readSpecSources(dir: string): Promise<SpecSource[]> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new CliError("CLI_SPECS_DIR", `no credentials folder at ${dir}; create it or pass --dir PATH`);
  }
  if (!info.isDirectory()) throw new CliError("CLI_SPECS_DIR", `${dir} is not a folder; --dir names the credentials folder`);
  const sources: SpecSource[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.isFile()) {
        const path = `credentials/${rel}`;
        if (isSpecPath(path)) sources.push({ path, content: await readFile(join(dir, rel), "utf8") });
      }
    }
  };
  await walk("");
  return sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
