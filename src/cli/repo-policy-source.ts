// The policy file the CLI judges with: `--policy PATH`, else ngrok-gitops.policy.yaml beside the --dir folder.
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { POLICY_FILE } from "../desired/repo-policy-schema.js";
import type { SpecSource } from "../desired/types.js";
import { CliError } from "./errors.js";
import { shownPath } from "./sources.js";

/**
 * `explicit` (the `--policy` value, resolved) must exist; without it the file beside `dir` (the credentials
 * folder) is read when there is one, as the repository keeps it beside `credentials/`. Null: no policy.
 * The source is named by its path from `cwd`, so policy errors point at the file on disk.
 */
export async function readPolicySource(dir: string, explicit?: string, cwd: string = process.cwd()): Promise<SpecSource | null> {
  const path = explicit ?? join(dirname(dir), POLICY_FILE);
  let info;
  try {
    info = await stat(path);
  } catch {
    if (explicit === undefined) return null;
    throw new CliError("CLI_POLICY_FILE", `no policy file at ${path} (--policy PATH names a ${POLICY_FILE} file)`);
  }
  if (!info.isFile()) throw new CliError("CLI_POLICY_FILE", `${path} is not a file; ${explicit === undefined ? `${POLICY_FILE} beside the credentials folder` : "--policy"} must be a policy file`);
  return { path: shownPath(path, cwd), content: await readFile(path, "utf8") };
}
