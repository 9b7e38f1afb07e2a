// Reads a local credentials folder as spec sources, named by their real path so errors point at the file on disk.
import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { isSpecPath } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { CliError } from "./errors.js";

/**
 * Every `*.yaml` / `*.yml` under `dir` (nested folders included, symlinks not followed), sorted by path. Each is
 * named by its path from `cwd` (`../other/a.yaml` for `--dir ../other`), or its absolute path when shorter.
 */
export async function readSpecSources(dir: string, cwd: string = process.cwd()): Promise<SpecSource[]> {
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
        // Which files are specs is decided as in the repository, where the folder is credentials/.
        if (isSpecPath(`credentials/${rel}`)) sources.push({ path: shownPath(join(dir, rel), cwd), content: await readFile(join(dir, rel), "utf8") });
      }
    }
  };
  await walk("");
  return sources.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `path` as a person finds it from `cwd`, with forward slashes: relative, or absolute when that is shorter. */
export function shownPath(path: string, cwd: string): string {
  const fromCwd = relative(cwd, path);
  const shown = isAbsolute(fromCwd) || fromCwd.length > path.length ? path : fromCwd;
  return shown.split(sep).join("/");
}
