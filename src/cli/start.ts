// `npm start`: the whole loop locally, no accounts: the ngrok emulator, a fake GitHub serving this checkout, and `wrangler dev`.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { generateAppKeyPair } from "../../standins/github/app-auth.js";
import { startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";
import { mergePullRequest } from "../../standins/github/merge.js";
import { buildPullRequestEvent, buildPushEvent, signWebhook, type PullRequestAction } from "../../standins/github/webhooks.js";
import { snapshotWorkingTree, type SnapshotResult } from "../../standins/github/working-tree.js";
import { loadSpecs } from "../desired/load.js";
import { ensureDevVars, type DevVars } from "./dev-vars.js";
import { readSpecSources } from "./sources.js";
import { DEFAULT_EMULATOR_PORT } from "./config.js";
import { CLI_OWNER_ID, START_OWNER_ID } from "./identity.js";
import { CliError } from "./errors.js";
import { assertPortsFree, portFrom } from "./ports.js";
import { spawnWranglerDev, stopProcessGroup, waitForHealth } from "./wrangler-dev.js";
import { WranglerLineFilter } from "./wrangler-filter.js";
import { formatRun, isFinished, isSuccess, readStatus, RunWatch, type RunInfo, type WorkerStatus } from "./run-status.js";
import { discardBody } from "./drain.js";

const HOST = "127.0.0.1";
/** The GitHub App the stand-in knows npm start's Worker as: only an App may write check runs, as on GitHub. */
const LOCAL_APP_ID = 4242;
export const LOCAL_REPOSITORY = "local/ngrok-gitops";
const HEALTH_TIMEOUT_MS = 90_000;
/** How long a run may show no progress before npm start gives up on it (a run paced to ngrok's limit moves every minute). */
const RUN_STALL_MS = 120_000;
/** A long apply prints a progress line every this many changes, as the CLI does. */
const PROGRESS_EVERY = 25;

/** The branch `p` commits credentials/ to; one open pull request at a time, updated by each `p`. */
const PR_BRANCH = "npm-start/change";
/** wrangler's last lines, shown when it exits on its own: quiet mode must not hide why. */
const WRANGLER_TAIL = 40;

const USAGE = `Usage: npm start [-- --once] [-- --verbose]

Runs the ngrok emulator, a local GitHub stand-in holding this checkout's credentials/ and the Worker
(wrangler dev), then pushes credentials/ as a commit and shows the Worker's plan and apply.

  --once      run one reconcile, then stop (exit 0 when the run succeeded, 1 otherwise)
  --verbose   show every line wrangler prints (by default only the Worker's errors)
  --help      show this help

While it runs, type a command and Enter:
  (Enter)   push credentials/ to main: the Worker plans and applies it
  p         commit credentials/ to a branch and open (or update) a pull request: the Worker plans it
  m         merge that pull request: a push to main, which the Worker applies
  h         show these commands

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
  let verbose: boolean;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { once: { type: "boolean" }, verbose: { type: "boolean", short: "v" }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    once = values.once ?? false;
    verbose = values.verbose ?? false;
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
  const workerUrl = `http://${HOST}:${worker.port}`;
  const githubUrl = `http://${HOST}:${githubPort.port}`;
  // The emulator forgets everything when it stops, so the Worker's KV and Durable Object state must too:
  // state kept from an earlier session would hold tokens of credentials that no longer exist, and the
  // Worker skips a push whose tree it already applied.
  stack.stateDir = await mkdtemp(join(tmpdir(), "ngrok-gitops-start-"));
  // The Worker signs in as a GitHub App, the way production should: check runs with annotations need one.
  // A fresh key per session; it lives in the session's state folder only.
  const appKeys = await generateAppKeyPair();
  const envFile = join(stack.stateDir, "worker.env");
  await writeFile(envFile, workerSecrets(vars, appKeys.privateKeyPem), { mode: 0o600 });
  stack.github = await startFakeGitHub({
    port: githubPort.port,
    host: HOST,
    tokens: [{ token: vars.GITHUB_TOKEN, installation: true }],
    app: { id: LOCAL_APP_ID, publicKeyPem: appKeys.publicKeyPem },
    // Links the Worker writes (html_url) lead to the stand-in's own pages, not to github.com.
    htmlUrl: githubUrl,
    // The stand-in's server reads the Worker's runs and audit log for its /-/worker page; the token stays server-side.
    ui: { worker: { url: workerUrl, adminToken: vars.ADMIN_TOKEN, repository: LOCAL_REPOSITORY } },
  });
  console.log(`GitHub stand-in  ${stack.github.url} (repository ${LOCAL_REPOSITORY}, branch main = ./credentials; web UI at ${stack.github.url}/)`);

  const filter = new WranglerLineFilter();
  const tail: string[] = [];
  stack.wrangler = spawnWranglerDev({
    port: worker.port,
    host: HOST,
    vars: { NGROK_API_URL: stack.emulator.url, GITHUB_API_URL: stack.github.url, GITHUB_REPOSITORY: LOCAL_REPOSITORY, OWNER_ID: START_OWNER_ID },
    persistTo: stack.stateDir,
    envFile,
    onLine: (line) => {
      tail.push(line);
      if (tail.length > WRANGLER_TAIL) tail.shift();
      if (verbose || filter.verdict(line) === "show") process.stdout.write(`[wrangler] ${line}\n`);
    },
  });
  stack.wrangler.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`error: wrangler dev exited (${signal ?? `code ${code}`}); stopping`);
    if (!verbose && tail.length > 0) console.error(`Its last lines:\n${tail.map((l) => `  [wrangler] ${l}`).join("\n")}`);
    void shutdown(1);
  });
  await waitForHealth(workerUrl, stack.wrangler, HEALTH_TIMEOUT_MS);
  console.log(`Worker           ${workerUrl}`);

  const loop = new Loop(stack.github, workerUrl, vars, cwd);
  if (once) return isSuccess(await loop.runOnce()) ? 0 : 1;
  // Interactively a failed first round is reported, not fatal: fix credentials/ (or the Worker) and press Enter.
  await loop.runOnce().catch((error: unknown) => console.error(`error: ${messageOf(error)}`));

  printHints(workerUrl, stack.emulator.url, emulatorPort.port, stack.github.url);
  createInterface({ input: process.stdin }).on("line", (line) => loop.command(line.trim().toLowerCase()));
  // Runs until SIGINT/SIGTERM (also when stdin is closed): the servers and wrangler keep the process alive.
  return await new Promise<number>(() => undefined);
}

type Command = "reconcile" | "pull" | "merge";

/** One command at a time: a command typed while another runs is queued (once; typing it again does not queue it twice). */
class Loop {
  #busy = false;
  readonly #pending: Command[] = [];
  /** The pull request `p` opened and `m` merges. */
  #pull: { number: number; headSha: string } | null = null;

  constructor(
    private readonly github: StartedFakeGitHub,
    private readonly workerUrl: string,
    private readonly vars: DevVars,
    private readonly cwd: string,
  ) {}

  /** A line typed on the terminal. */
  command(line: string): void {
    const commands: Record<string, Command> = { "": "reconcile", p: "pull", m: "merge" };
    const command = commands[line];
    if (command === undefined) {
      if (line === "h" || line === "?" || line === "help") console.log(COMMANDS);
      else console.log(`Unknown command ${JSON.stringify(line)}.${COMMANDS}`);
      return;
    }
    this.trigger(command);
  }

  trigger(command: Command): void {
    if (this.#busy) {
      if (!this.#pending.includes(command)) this.#pending.push(command);
      console.log(`(a run is in progress; ${command === "reconcile" ? "another one" : command === "pull" ? "the pull request" : "the merge"} follows it)`);
      return;
    }
    const run = command === "reconcile" ? () => this.runOnce() : command === "pull" ? () => this.openPullRequest() : () => this.mergePullRequest();
    void run()
      .catch((error: unknown) => console.error(`error: ${messageOf(error)}`))
      .finally(() => {
        const next = this.#pending.shift();
        if (next !== undefined) this.trigger(next);
      });
  }

  /**
   * `p`: credentials/ as a commit on PR_BRANCH (from main), a pull request for it (opened, or updated when one is open),
   * the pull_request webhook, and the Worker's plan for it; then the address of the pull request's page.
   */
  async openPullRequest(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const repo = this.repo();
      const open = this.#pull !== null && repo.issues.get(this.#pull.number)?.state === "open" ? this.#pull : null;
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, branch: PR_BRANCH, message: "npm start: proposed credentials/" });
      if (open === null && repo.commits.get(snapshot.sha)?.tree === repo.commits.get(repo.branches.get("main") ?? "")?.tree) {
        throw new Error("credentials/ is the same as on main: there is nothing to propose. Edit credentials/, then press p and Enter again");
      }
      if (open !== null && snapshot.commit === null) {
        console.log(`
credentials/ unchanged since pull request #${open.number} was last updated: ${this.pullUrl(open.number)}`);
        return await this.latestRun();
      }
      await this.createDeliveryTargets();
      const base = repo.branches.get("main") ?? "";
      const action: PullRequestAction = open === null ? "opened" : "synchronize";
      const pull = this.github.fake.state.upsertPullRequest(repo, {
        ...(open === null ? {} : { number: open.number }),
        head_ref: PR_BRANCH,
        head_sha: snapshot.sha,
        title: "Change credentials/ (from npm start)",
        body: "Opened by `npm start` from the working tree's `credentials/`. Press **m** and Enter in `npm start` to merge it.",
        user: repo.owner.login,
      });
      const before = await this.status();
      console.log(`
${open === null ? "Opened" : "Updated"} pull request #${pull.number} (${PR_BRANCH} at ${snapshot.sha.slice(0, 7)}, ${describeCommit(snapshot)}); waiting for the Worker's plan…`);
      await this.sendWebhook(
        "pull_request",
        buildPullRequestEvent({
          action,
          number: pull.number,
          repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
          head: { sha: snapshot.sha, ref: PR_BRANCH },
          base: { sha: base, ref: "main" },
          ...(open === null ? {} : { before: open.headSha }),
          title: pull.title,
          body: pull.body,
          apiUrl: this.github.url,
          htmlUrl: this.github.url,
        }),
      );
      this.#pull = { number: pull.number, headSha: snapshot.sha };
      const run = await this.waitForRun(snapshot.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${pull.number}: ${this.pullUrl(pull.number)}\nPress m and Enter to merge it (the Worker then applies the plan).`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  /** `m`: merges the open pull request into main and sends the push: the Worker applies it. */
  async mergePullRequest(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const repo = this.repo();
      const pull = this.#pull === null ? undefined : repo.issues.get(this.#pull.number);
      if (this.#pull === null || pull?.state !== "open") throw new Error("no open pull request to merge; press p and Enter to open one from credentials/");
      const before = await this.status();
      const { commit } = await mergePullRequest(this.github.fake, LOCAL_REPOSITORY, this.#pull.number);
      console.log(`
Merged pull request #${this.#pull.number} into main (${commit.sha.slice(0, 7)}, ${describeCommit({ sha: commit.sha, changed: true, commit })}); waiting for the Worker…`);
      await this.sendWebhook(
        "pull_request",
        buildPullRequestEvent({
          action: "closed",
          merged: true,
          number: this.#pull.number,
          repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
          head: { sha: this.#pull.headSha, ref: PR_BRANCH },
          base: { sha: commit.before, ref: "main" },
          apiUrl: this.github.url,
          htmlUrl: this.github.url,
        }),
      );
      await this.sendPush({ sha: commit.sha, changed: true, commit }, `Merge pull request #${this.#pull.number}`);
      // The branch is gone after a merge, as with GitHub's "delete branch"; the next p starts from main again.
      repo.branches.delete(PR_BRANCH);
      const run = await this.waitForRun(commit.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${this.#pull.number} (merged): ${this.pullUrl(this.#pull.number)}`);
      this.#pull = null;
      return run;
    } finally {
      this.#busy = false;
    }
  }

  repo() {
    const [owner = "", name = ""] = LOCAL_REPOSITORY.split("/");
    const repo = this.github.fake.state.repo(owner, name);
    if (!repo) throw new Error(`internal: the stand-in has no ${LOCAL_REPOSITORY}`);
    return repo;
  }

  pullUrl(number: number): string {
    return `${this.github.url}/${LOCAL_REPOSITORY}/pull/${number}`;
  }

  async latestRun(): Promise<RunInfo> {
    const { last } = await this.status();
    if (last === null) throw new Error("the Worker has no run yet");
    return last;
  }

  /**
   * Snapshot credentials/ and push the new commit; when nothing changed, ask for a run anyway
   * (POST /api/reconcile), since the Worker skips a push of a tree it already applied. Then wait for
   * that run to finish and print it.
   */
  /** The stand-in serves every repository a spec delivers to, so deliveries land (and decrypt) locally. */
  async createDeliveryTargets(): Promise<void> {
    const specs = loadSpecs(await readSpecSources(join(this.cwd, "credentials")), { ownerId: START_OWNER_ID });
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
    await discardBody(res);
    if (!res.ok) throw new Error(`POST /api/reconcile answered HTTP ${res.status}`);
  }

  async sendPush(snapshot: SnapshotResult, message = "npm start: snapshot of credentials/"): Promise<void> {
    const commit = snapshot.commit;
    if (commit === null) throw new Error("internal: push without a commit");
    const payload = buildPushEvent({
      repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
      ref: "main",
      before: commit.before,
      after: commit.sha,
      commits: [{ id: commit.sha, treeId: commit.tree, message, added: commit.added, modified: commit.modified, removed: commit.removed }],
      apiUrl: this.github.url,
      htmlUrl: this.github.url,
    });
    await this.sendWebhook("push", payload);
  }

  async sendWebhook(event: "push" | "pull_request", payload: object): Promise<void> {
    const body = JSON.stringify(payload);
    const res = await fetch(`${this.workerUrl}/webhooks/github`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/npm-start",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": randomUUID(),
        "X-Hub-Signature-256": await signWebhook(this.vars.GITHUB_WEBHOOK_SECRET, body),
      },
      body,
    });
    await discardBody(res);
    if (res.status !== 202 && res.status !== 200) throw new Error(`the Worker answered the ${event} webhook with HTTP ${res.status}`);
  }

  async status(): Promise<WorkerStatus> {
    const res = await fetch(`${this.workerUrl}/api/status`, { headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}` } });
    if (!res.ok) {
      await discardBody(res);
      throw new Error(`GET /api/status answered HTTP ${res.status}`);
    }
    return readStatus(await res.json());
  }

  /** The first finished run for `sha` that is not the one that was last before the push. */
  async waitForRun(sha: string, previousId: string | null): Promise<RunInfo> {
    const watch = new RunWatch(RUN_STALL_MS, PROGRESS_EVERY, Date.now());
    while (!watch.stalled(Date.now())) {
      const { last, progress } = await this.status();
      if (last !== null && last.sha === sha && last.id !== previousId && isFinished(last)) return last;
      const line = watch.observe(progress, Date.now());
      if (line !== null) console.log(line);
      await sleep(300);
    }
    throw new Error(`no finished run for ${sha.slice(0, 7)}, and no progress for ${RUN_STALL_MS / 1000} s; see the wrangler output above`);
  }
}

/** .dev.vars for the Worker, with the App's id and key instead of GITHUB_TOKEN (the App is preferred when both are set). */
function workerSecrets(vars: DevVars, appPrivateKeyPem: string): string {
  const lines = Object.entries(vars)
    .filter(([name]) => name !== "GITHUB_TOKEN")
    .map(([name, value]) => `${name}=${value}`);
  lines.push(`GITHUB_APP_ID=${LOCAL_APP_ID}`, `GITHUB_APP_PRIVATE_KEY="${appPrivateKeyPem.trim().replace(/\n/g, "\\n")}"`);
  return `${lines.join("\n")}\n`;
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

const COMMANDS = `
Commands (type one and press Enter):
  (Enter)  push credentials/ to main: the Worker plans and applies it
  p        open (or update) a pull request from credentials/: the Worker plans it and comments
  m        merge that pull request: the Worker applies it
  h        this list; Ctrl-C stops everything`;

function printHints(workerUrl: string, emulatorUrl: string, emulatorPort: number, githubUrl: string): void {
  // `npm run plan` finds the emulator through EMULATOR_PORT, which is not in .dev.vars: name it when it is not the default.
  const plan = emulatorPort === DEFAULT_EMULATOR_PORT ? "`npm run plan`" : `\`EMULATOR_PORT=${emulatorPort} npm run plan\``;
  console.log(
    [
      "",
      "Edit credentials/ and press Enter to reconcile again, or p and Enter to open a pull request; h for help; Ctrl-C to stop.",
      `Pull requests, checks, the drift issue, delivered secrets and the Worker's runs: ${githubUrl}/`,
      "Read a token (ADMIN_TOKEN is in .dev.vars):",
      `  ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)`,
      `  curl -H "Authorization: Bearer $ADMIN_TOKEN" ${workerUrl}/api/credentials/NAME/token`,
      `The ngrok emulator is at ${emulatorUrl} (API key NGROK_API_KEY from .dev.vars); ${plan} uses it too, as OWNER_ID ${CLI_OWNER_ID}`,
      `(the Worker is OWNER_ID ${START_OWNER_ID}: each leaves the other's credentials alone).`,
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
