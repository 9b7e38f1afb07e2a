// A checkout and an emulator account of its own for CLI tests: runs `src/cli/main.ts` as a child process, the way `npm run plan|apply` does.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StartedEmulator } from "../../standins/ngrok/server";
import { generateKeyringEntry } from "../../src/vault/keyring";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

export interface Run {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Every child is a fresh Node with tsx, ~0.5 s idle and several seconds on a loaded runner. */
export const SLOW = 120_000;

const dirs: string[] = [];
let keys = 0;

export async function cleanupWorkspaces(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function workspace(emulator: StartedEmulator, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-cli-"));
  dirs.push(dir);
  const write = async (path: string, content: string) => {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  for (const [path, content] of Object.entries(files)) await write(path, content);
  const apiKey = `cli_tf_${++keys}_${Math.random().toString(36).slice(2)}`;
  const env: Record<string, string> = { NGROK_API_URL: emulator.url, NGROK_API_KEY: apiKey, TOKEN_ENCRYPTION_KEYS: generateKeyringEntry("t1") };
  /** Every CLI run of this workspace, in order (for checks over all output, e.g. that no token was printed). */
  const runs: Run[] = [];
  const cli = (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const merged: Record<string, string> = { PATH: process.env.PATH ?? "" };
      for (const [k, v] of Object.entries({ ...env, ...extraEnv })) if (v !== undefined) merged[k] = v;
      const child = spawn(process.execPath, ["--import", TSX, MAIN, ...args], { cwd: dir, env: merged as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
      child.stdin.end();
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        const run = { args, code: code ?? -1, stdout, stderr };
        runs.push(run);
        resolve(run);
      });
    });
  /** The emulator's real API, as an operator's script would call it. */
  const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, "Ngrok-Version": "2", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
  const control = async (path: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${emulator.url}/__emulator/${path}`, { headers: { Authorization: `Bearer ${apiKey}`, "Ngrok-Version": "2" } });
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    dir,
    env,
    cli,
    write,
    api,
    runs,
    tokens: async () => (await control("tokens")).tokens as Record<string, string>,
    credentials: async () => (await control("state")).credentials as { id: string; description: string; metadata: string }[],
    calls: async () => (await control("calls")).calls as { method: string; path?: string }[],
  };
}
