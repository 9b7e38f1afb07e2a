// Running the Worker under `wrangler dev` from Node (npm start, the bench): start it, wait for /healthz, stop its process group.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { discardBody } from "./drain.js";

export interface WranglerDevOptions {
  port: number;
  host: string;
  /** `--var NAME:VALUE` for each (wrangler splits on the first colon, so URLs are safe). */
  vars: Record<string, string>;
  /** Local KV and Durable Object state. */
  persistTo: string;
  /** Secrets from this file instead of .dev.vars. */
  envFile?: string;
  logLevel?: "warn" | "info";
  /** Every line wrangler prints, stdout and stderr. */
  onLine: (line: string) => void;
}

/**
 * wrangler's own switches for a local session: no usage metrics sent, no banner (which also skips its npm update
 * check, a network call that says "update available" about a version the lockfile pins on purpose).
 */
export const QUIET_WRANGLER_ENV: Readonly<Record<string, string>> = { WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };

/**
 * Starts `wrangler dev`. Its devtools inspector gets a port of its own: left to its default (9229), two sessions
 * started together (npm start beside a test, the suite's e2e files in parallel) race for it and one dies.
 */
export async function spawnWranglerDev(options: WranglerDevOptions): Promise<ChildProcess> {
  const args = ["wrangler", "dev", "--port", String(options.port), "--ip", options.host, "--inspector-port", String(await freePort(options.host))];
  for (const [name, value] of Object.entries(options.vars)) args.push("--var", `${name}:${value}`);
  if (options.envFile) args.push("--env-file", options.envFile);
  args.push("--persist-to", options.persistTo, "--show-interactive-dev-session=false");
  if (options.logLevel) args.push("--log-level", options.logLevel);
  // Its own process group, so stopping it ends npx, wrangler and workerd together.
  const child = spawn("npx", args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, ...QUIET_WRANGLER_ENV } });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (line) => line.trim() !== "" && options.onLine(line));
  }
  return child;
}

/** Resolves once `GET url/healthz` answers 2xx; rejects when the child exits first or the deadline passes. */
export async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("wrangler dev exited before the Worker answered /healthz");
    let res: Response;
    try {
      res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    } catch {
      // Not listening yet: keep polling until the deadline.
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (res.ok) {
      await discardBody(res);
      return;
    }
    // The Worker is up and names what is wrong with its configuration: waiting longer would not help.
    const problems = res.status === 503 ? configurationProblems(await res.text().catch(() => "")) : null;
    if (problems !== null) throw new Error(`the Worker reports a bad configuration on /healthz: ${problems}`);
    await discardBody(res);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

/** The problems a 503 `/healthz` names (`{"ok":false,...}`), as one line; null for any other body (wrangler still starting). */
export function configurationProblems(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || (parsed as { ok?: unknown }).ok !== false) return null;
  const record = parsed as Record<string, unknown>;
  const list = Object.values(record).find((v): v is unknown[] => Array.isArray(v));
  if (list === undefined) return JSON.stringify(parsed);
  return list.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join("; ");
}

/** TERM the child's process group, KILL it after 5 s. */
export async function stopProcessGroup(child: ChildProcess | null): Promise<void> {
  if (child === null || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      // ESRCH: the group is already gone, which is the goal.
      if (!(error instanceof Error && "code" in error && error.code === "ESRCH")) throw error;
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A port nothing listens on at `host` now (the system's choice for port 0). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port was given"))));
    });
  });
}
