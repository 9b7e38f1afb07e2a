// A real kill: `wrangler dev` is SIGKILLed with a create in flight, restarted on the same local state, and the run converges.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { spawnWranglerDev, stopProcessGroup, waitForHealth } from "../../dev/wrangler-dev.js";
import { decodeMetadata } from "../../src/ownership/marker.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";
import { startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";

const HOST = "127.0.0.1";
const REPO = "acme/kill-test";
const OWNER = "kill-test-owner";
const NAMES = Array.from({ length: 6 }, (_, i) => `svc-${i}`);
const SECRETS = { NGROK_API_KEY: `kill-${Date.now()}`, GITHUB_WEBHOOK_SECRET: "kill-webhook-secret-0123456789", GITHUB_TOKEN: "kill-github-token-0123456789", TOKEN_ENCRYPTION_KEYS: generateKeyringEntry("kill1"), ADMIN_TOKEN: "kill-admin-token-0123456789-0123456789" };
/** wrangler dev starts slowly on a loaded runner. */
const START_MS = 150_000;

let emulator: StartedEmulator | undefined;
let github: StartedFakeGitHub | undefined;
let wrangler: ChildProcess | null = null;
let stateDir = "";
/** What wrangler printed, for the failure message. */
const lines: string[] = [];

afterAll(async () => {
  await stopProcessGroup(wrangler);
  await Promise.all([emulator?.close(), github?.close()]);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function ngrok(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emulator!.url}${path}`, { method, headers: { Authorization: `Bearer ${SECRETS.NGROK_API_KEY}`, "Ngrok-Version": "2", "Content-Type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

const live = async () => ((await ngrok("GET", "/__emulator/state")) as { credentials: { id: string; metadata?: string }[] }).credentials;

/** Starts wrangler dev; a start that dies at once (a port the killed workerd has not yet let go) is tried again. */
async function startWorker(port: number): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(port);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("exited before")) throw error;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

async function startWorkerOnce(port: number): Promise<string> {
  const envFile = join(stateDir, "secrets.env");
  await writeFile(envFile, Object.entries(SECRETS).map(([k, v]) => `${k}=${v}`).join("\n"));
  wrangler = await spawnWranglerDev({
    port,
    host: HOST,
    vars: { NGROK_API_URL: emulator!.url, GITHUB_API_URL: github!.url, GITHUB_REPOSITORY: REPO, OWNER_ID: OWNER },
    persistTo: join(stateDir, "state"),
    envFile,
    logLevel: "warn",
    onLine: (line) => lines.push(line),
  });
  const url = `http://${HOST}:${port}`;
  try {
    await waitForHealth(url, wrangler, START_MS);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; wrangler said:\n${lines.slice(-20).join("\n")}`);
  }
  return url;
}

const admin = (url: string, path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("SIGKILL mid-apply, restart on the same state: one live credential per spec, each with its own token stored", async () => {
  stateDir = await mkdtemp(join(tmpdir(), "ngrok-gitops-kill-"));
  emulator = await startEmulator({ port: 0, host: HOST });
  const specs = `credentials:\n${NAMES.map((n) => `  - name: ${n}\n`).join("")}`;
  github = await startFakeGitHub({ port: 0, host: HOST, tokens: [{ token: SECRETS.GITHUB_TOKEN, installation: true }], repos: [{ fullName: REPO, files: { "credentials/svc.yaml": specs } }] });
  // A free port for the Worker: the emulator's server picked one, so pick one the same way.
  const probe = await startEmulator({ port: 0, host: HOST });
  const port = Number(new URL(probe.url).port);
  await probe.close();

  let url = await startWorker(port);
  // The third create hangs, holding it in flight while the others land and their tokens are stored.
  await ngrok("POST", "/__emulator/faults", { faults: [{ method: "POST", path: "/credentials", nth: 3, latencyMs: 120_000 }] });
  expect((await admin(url, "/api/reconcile", { method: "POST" })).status).toBe(202);
  await until("the other creates to land", async () => ((await live()).length >= NAMES.length - 1 ? true : null), 60_000);
  // Kill the whole process group (npx, wrangler, workerd) at once, as a crash would.
  const pid = wrangler!.pid!;
  const exited = new Promise<void>((resolve) => wrangler!.once("exit", () => resolve()));
  process.kill(-pid, "SIGKILL");
  await exited;
  wrangler = null;
  await ngrok("DELETE", "/__emulator/faults");

  url = await startWorker(port);
  // Nothing is asked again: the alarm that was cut off is retried by the runtime and resumes the persisted run.
  const status = await until(
    "the run to finish",
    async () => {
      const s = (await (await admin(url, "/api/status")).json()) as { current: unknown; queued: unknown[]; last: { status: string } | null };
      return s.current === null && s.queued.length === 0 && s.last ? s : null;
    },
    90_000,
  );
  expect(status.last?.status).toBe("succeeded");

  const tokens = ((await ngrok("GET", "/__emulator/tokens")) as { tokens: Record<string, string> }).tokens;
  const byName = new Map<string, string[]>();
  for (const c of await live()) {
    const d = decodeMetadata(c.metadata);
    if (d.kind === "managed") byName.set(d.marker.name, [...(byName.get(d.marker.name) ?? []), c.id]);
  }
  expect([...byName.keys()].sort()).toEqual(NAMES);
  for (const [name, ids] of byName) {
    expect(ids, `live credentials of ${name}`).toHaveLength(1);
    const stored = (await (await admin(url, `/api/credentials/${name}/token`)).json()) as { id: string; token: string };
    expect(stored, `token of ${name}`).toEqual({ name, id: ids[0], token: tokens[ids[0]!] });
  }
}, 420_000);
