// `npm start`: the whole loop locally, no accounts: the ngrok emulator, a fake GitHub serving this checkout, and `wrangler dev`.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startEmulator, type StartedEmulator } from "../../emulator/server.js";
import { startFakeGitHub, type StartedFakeGitHub } from "../../test/fake-github/server.js";
import { buildPushEvent, signWebhook } from "../../test/fake-github/webhooks.js";
import { snapshotWorkingTree, type SnapshotResult } from "../../test/fake-github/working-tree.js";
import { loadSpecs } from "../spec/load.js";
import { ensureDevVars, type DevVars } from "./dev-vars.js";
import { readSpecSources } from "./sources.js";
import { DEFAULT_EMULATOR_PORT, DEFAULT_OWNER_ID } from "./config.js";
import { CliError } from "./errors.js";
import { assertPortsFree, portFrom } from "./ports.js";
import { spawnWranglerDev, stopProcessGroup, waitForHealth } from "./wrangler-dev.js";
import { formatRun, isFinished, isSuccess, readStatus, type RunInfo, type WorkerStatus } from "./run-status.js";

const HOST = "127.0.0.1";
export const LOCAL_REPOSITORY = "local/ngrok-gitops";
const HEALTH_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 120_000;

const USAGE = `Usage: npm start [-- --once]

Runs the ngrok emulator, a local GitHub stand-in holding this checkout's credentials/ and the Worker
(wrangler dev), then pushes credentials/ as a commit and shows the Worker's plan and apply.

  --once      run one reconcile, then stop (exit 0 when the run succeeded, 1 otherwise)
  --help      show this help

Ports (all on 127.0.0.1): WORKER_PORT (8787), EMULATOR_PORT (8788), GITHUB_PORT (8789).
`;

interface Stack {
  emulator: StartedEmulator | null;
  github: StartedFakeGitHub | null;
  wrangler: ChildProcess | null;
  /** wrangler's KV and Durable Object state for this session only. */
  stateDir: string | null;
}

const stack: Stack = { emulator: null, github: null, wrangler: null, stateDir: null };
let stopping = false;

async function main(): Promise<number> {
  let once: boolean;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { once: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    once = values.once ?? false;
  } catch (error) {
    throw new CliError("CLI_USAGE", `${error instanceof Error ? error.message : String(error)} (see --help)`);
  }

  const worker = portFrom(process.env, "WORKER_PORT", 8787, "the Worker");
  const emulatorPort = portFrom(process.env, "EMULATOR_PORT", 8788, "the ngrok emulator");
  const githubPort = portFrom(process.env, "GITHUB_PORT", 8789, "the GitHub stand-in");
  await assertPortsFree([worker, emulatorPort, githubPort], HOST);

  const cwd = process.cwd();
  const { vars, created } = await ensureDevVars(cwd);
  if (created) console.log("Wrote .dev.vars with fresh local secrets (git-ignored; never used outside this machine).");

  // ngrok's documented limit (120/60s, the emulator's default) and only the local key: a typo'd key gets 401, not an empty account.
  stack.emulator = await startEmulator({ port: emulatorPort.port, host: HOST, apiKeys: [vars.NGROK_API_KEY] });
  console.log(`ngrok emulator   ${stack.emulator.url}`);
  stack.github = await startFakeGitHub({ port: githubPort.port, host: HOST, tokens: [{ token: vars.GITHUB_TOKEN, installation: true }] });
  console.log(`GitHub stand-in  ${stack.github.url} (repository ${LOCAL_REPOSITORY}, branch main = ./credentials)`);

  const workerUrl = `http://${HOST}:${worker.port}`;
  // The emulator forgets everything when it stops, so the Worker's KV and Durable Object state must too:
  // state kept from an earlier session would hold tokens of credentials that no longer exist, and the
  // Worker skips a push whose tree it already applied.
  stack.stateDir = await mkdtemp(join(tmpdir(), "ngrok-gitops-start-"));
  stack.wrangler = spawnWranglerDev({
    port: worker.port,
    host: HOST,
    vars: { NGROK_API_URL: stack.emulator.url, GITHUB_API_URL: stack.github.url, GITHUB_REPOSITORY: LOCAL_REPOSITORY, OWNER_ID: DEFAULT_OWNER_ID },
    persistTo: stack.stateDir,
    onLine: (line) => process.stdout.write(`[wrangler] ${line}\n`),
  });
  stack.wrangler.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`error: wrangler dev exited (${signal ?? `code ${code}`}); stopping`);
    void shutdown(1);
  });
  await waitForHealth(workerUrl, stack.wrangler, HEALTH_TIMEOUT_MS);
  console.log(`Worker           ${workerUrl}`);

  const loop = new Loop(stack.github, workerUrl, vars, cwd);
  if (once) return isSuccess(await loop.runOnce()) ? 0 : 1;
  // Interactively a failed first round is reported, not fatal: fix credentials/ (or the Worker) and press Enter.
  await loop.runOnce().catch((error: unknown) => console.error(`error: ${messageOf(error)}`));

  printHints(workerUrl, stack.emulator.url, emulatorPort.port);
  createInterface({ input: process.stdin }).on("line", () => loop.trigger());
  // Runs until SIGINT/SIGTERM (also when stdin is closed): the servers and wrangler keep the process alive.
  return await new Promise<number>(() => undefined);
}

/** One reconcile at a time: Enter while a run is in flight queues exactly one more. */
class Loop {
  #busy = false;
  #again = false;

  constructor(
    private readonly github: StartedFakeGitHub,
    private readonly workerUrl: string,
    private readonly vars: DevVars,
    private readonly cwd: string,
  ) {}

  trigger(): void {
    if (this.#busy) {
      this.#again = true;
      console.log("(a run is in progress; another one follows it)");
      return;
    }
    void this.runOnce()
      .catch((error: unknown) => console.error(`error: ${messageOf(error)}`))
      .finally(() => {
        if (this.#again) {
          this.#again = false;
          this.trigger();
        }
      });
  }

  /**
   * Snapshot credentials/ and push the new commit; when nothing changed, ask for a run anyway
   * (POST /api/reconcile), since the Worker skips a push of a tree it already applied. Then wait for
   * that run to finish and print it.
   */
  /** The stand-in serves every repository a spec delivers to, so deliveries land (and decrypt) locally. */
  async createDeliveryTargets(): Promise<void> {
    const specs = loadSpecs(await readSpecSources(join(this.cwd, "credentials")), { ownerId: DEFAULT_OWNER_ID });
    if (!specs.ok) return;
    const state = this.github.fake.state;
    for (const spec of specs.specs) {
      for (const { github_actions_secret: target, github_actions_org_secret: orgTarget } of spec.deliver) {
        if (orgTarget) await state.createOrg(orgTarget.org);
        if (!target) continue;
        const [owner, name] = target.repo.split("/");
        let repo = state.repo(owner ?? "", name ?? "");
        if (!repo) {
          repo = await state.createRepo({ fullName: target.repo });
          console.log(`GitHub stand-in: created ${target.repo} to receive delivered tokens (see ${this.github.url}/__fake/repos/${target.repo})`);
        }
        if (target.environment) state.createEnvironment(repo, target.environment);
      }
    }
  }

  async runOnce(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, message: "npm start: snapshot of credentials/" });
      await this.createDeliveryTargets();
      const before = await this.status();
      if (snapshot.commit !== null) {
        console.log(`\nPushed ${snapshot.sha.slice(0, 7)} (${describeCommit(snapshot)}); waiting for the Worker…`);
        await this.sendPush(snapshot);
      } else {
        console.log(`\ncredentials/ unchanged since ${snapshot.sha.slice(0, 7)}; asking the Worker to reconcile anyway…`);
        await this.reconcileNow();
      }
      const run = await this.waitForRun(snapshot.sha, before.last?.id ?? null);
      console.log(`\n${formatRun(run)}`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  async reconcileNow(): Promise<void> {
    const res = await fetch(`${this.workerUrl}/api/reconcile`, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: "{}",
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`POST /api/reconcile answered HTTP ${res.status}`);
  }

  async sendPush(snapshot: SnapshotResult): Promise<void> {
    const commit = snapshot.commit;
    if (commit === null) throw new Error("internal: push without a commit");
    const payload = buildPushEvent({
      repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
      ref: "main",
      before: commit.before,
      after: commit.sha,
      commits: [{ id: commit.sha, treeId: commit.tree, message: "npm start: snapshot of credentials/", added: commit.added, modified: commit.modified, removed: commit.removed }],
      apiUrl: this.github.url,
    });
    const body = JSON.stringify(payload);
    const res = await fetch(`${this.workerUrl}/webhooks/github`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/npm-start",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": randomUUID(),
        "X-Hub-Signature-256": await signWebhook(this.vars.GITHUB_WEBHOOK_SECRET, body),
      },
      body,
    });
    await res.body?.cancel();
    if (res.status !== 202 && res.status !== 200) throw new Error(`the Worker answered the push webhook with HTTP ${res.status}`);
  }

  async status(): Promise<WorkerStatus> {
    const res = await fetch(`${this.workerUrl}/api/status`, { headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}` } });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GET /api/status answered HTTP ${res.status}`);
    }
    return readStatus(await res.json());
  }

  /** The first finished run for `sha` that is not the one that was last before the push. */
  async waitForRun(sha: string, previousId: string | null): Promise<RunInfo> {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const { last } = await this.status();
      if (last !== null && last.sha === sha && last.id !== previousId && isFinished(last)) return last;
      await sleep(300);
    }
    throw new Error(`no finished run for ${sha.slice(0, 7)} after ${RUN_TIMEOUT_MS / 1000} s; see the wrangler output above`);
  }
}

function describeCommit(snapshot: SnapshotResult): string {
  const c = snapshot.commit;
  if (c === null) return "no change";
  const parts = [];
  if (c.added.length) parts.push(`${c.added.length} added`);
  if (c.modified.length) parts.push(`${c.modified.length} modified`);
  if (c.removed.length) parts.push(`${c.removed.length} removed`);
  return parts.length ? parts.join(", ") : "no file changes";
}

function printHints(workerUrl: string, emulatorUrl: string, emulatorPort: number): void {
  // `npm run plan` finds the emulator through EMULATOR_PORT, which is not in .dev.vars: name it when it is not the default.
  const plan = emulatorPort === DEFAULT_EMULATOR_PORT ? "`npm run plan`" : `\`EMULATOR_PORT=${emulatorPort} npm run plan\``;
  console.log(
    [
      "",
      "Edit credentials/ and press Enter to reconcile again; Ctrl-C to stop.",
      "Read a token (ADMIN_TOKEN is in .dev.vars):",
      `  ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)`,
      `  curl -H "Authorization: Bearer $ADMIN_TOKEN" ${workerUrl}/api/credentials/NAME/token`,
      `The ngrok emulator is at ${emulatorUrl} (API key NGROK_API_KEY from .dev.vars); ${plan} uses it too.`,
      "",
    ].join("\n"),
  );
}

/**
 * Stops everything once; every later call (a second Ctrl-C, wrangler exiting while we stop it) waits for that same
 * stop instead of exiting at once, which would leave wrangler (its own process group) running on the port.
 */
let stopped: Promise<never> | null = null;
function shutdown(code: number): Promise<never> {
  stopped ??= (async () => {
    stopping = true;
    const results = await Promise.allSettled([stopProcessGroup(stack.wrangler), stack.emulator?.close(), stack.github?.close()]);
    // Only after wrangler is gone: it writes there until it exits.
    if (stack.stateDir !== null) results.push(...(await Promise.allSettled([rm(stack.stateDir, { recursive: true, force: true })])));
    for (const r of results) if (r.status === "rejected") console.error(`error while stopping: ${messageOf(r.reason)}`);
    return process.exit(code);
  })();
  return stopped;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// `on`, not `once`: after the first signal Node's default action would kill us half-way through stopping.
process.on("SIGINT", () => {
  console.log(stopping ? "(still stopping…)" : "\nStopping…");
  void shutdown(0);
});
process.on("SIGTERM", () => void shutdown(0));

main().then(
  (code) => shutdown(code),
  (error: unknown) => {
    console.error(`error: ${messageOf(error)}`);
    return shutdown(1);
  },
);
