// A checkout and an emulator account of its own for CLI tests: runs a command through `runCli`, the function the bin
// (`src/cli/main.ts`) hands its streams to, in this process; test/e2e/ runs the bin itself as a child process.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { runCli } from "../../src/cli/commands.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";

export interface Run {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** A test of several commands against the emulator, paced at its rate limit, on a loaded runner. */
export const SLOW = 120_000;

const dirs: string[] = [];
let keys = 0;

/**
 * One emulator for a test file, at ngrok's documented limit (each workspace is an account of its own, making far
 * fewer than 120 calls), started before its tests and closed, with the file's workspaces, after them.
 */
export function useEmulator(): { emulator: () => StartedEmulator; workspace: (files: Record<string, string>) => Promise<Workspace> } {
  let started: StartedEmulator | undefined;
  beforeAll(async () => {
    started = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await started?.close();
    await cleanupWorkspaces();
  });
  const emulator = () => {
    if (!started) throw new Error("useEmulator: the emulator starts in beforeAll");
    return started;
  };
  return { emulator, workspace: (files) => workspace(emulator(), files) };
}

export type Workspace = Awaited<ReturnType<typeof workspace>>;

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
  /**
   * One command as the bin runs it without a terminal (stdin not a TTY, so no prompt), with only PATH and these
   * variables in its environment and the workspace as its working directory.
   */
  const cli = async (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> => {
    const merged: Record<string, string> = { PATH: process.env.PATH ?? "" };
    for (const [k, v] of Object.entries({ ...env, ...extraEnv })) if (v !== undefined) merged[k] = v;
    let stdout = "";
    let stderr = "";
    const ask = (): Promise<string> => Promise.reject(new Error("the CLI asked a question without a terminal"));
    const code = await runCli(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), env: merged, cwd: dir, interactive: false, ask, tty: false });
    const run = { args, code, stdout, stderr };
    runs.push(run);
    return run;
  };
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
