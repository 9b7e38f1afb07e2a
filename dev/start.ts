// `npm start`: the whole loop locally, no accounts: the ngrok emulator, a fake GitHub serving this checkout, and `wrangler dev`.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { startEmulator, type StartedEmulator } from "../standins/ngrok/server.js";
import { generateAppKeyPair } from "../standins/github/app-auth.js";
import { startFakeGitHub, type StartedFakeGitHub } from "../standins/github/server.js";
import { ensureDevVars, type DevVars } from "./dev-vars.js";
import { DEFAULT_EMULATOR_PORT } from "../src/cli/config.js";
import { CLI_OWNER_ID, START_OWNER_ID } from "../src/cli/identity.js";
import { CliError, messageOf } from "../src/cli/errors.js";
import { assertPortsFree, portFrom } from "./listen-ports.js";
import { isSuccess } from "./run-status.js";
import { forwardReviews, REVIEWER_LOGIN, reviewerToken, REVIEWS_ON } from "./start-review.js";
import { LOCAL_REPOSITORY, Loop } from "./start-session.js";
import { spawnWranglerDev, stopProcessGroup, waitForHealth } from "./wrangler-dev.js";
import { WranglerLineFilter } from "./wrangler-filter.js";

const HOST = "127.0.0.1";
/** The GitHub App the stand-in knows npm start's Worker as: only an App may write check runs, as on GitHub. */
const LOCAL_APP_ID = 4242;
const HEALTH_TIMEOUT_MS = 90_000;

/** wrangler's last lines, shown when it exits on its own: quiet mode must not hide why. */
const WRANGLER_TAIL = 40;

const USAGE = `Usage: npm start [-- --once] [-- --verbose]

Runs the ngrok emulator, a local GitHub stand-in holding this checkout's credentials/ and the Worker
(wrangler dev), then pushes credentials/ as a commit and shows the Worker's plan and apply. Reviews are
on in that repository (review: {approvals: 1}; CODEOWNERS names @npm-start-reviewer): a commit pushed
straight to main is held, so npm start releases its own first one as the operator.

  --once      run one reconcile, then stop (exit 0 when the run succeeded, 1 otherwise)
  --verbose   show every line wrangler prints (by default only the Worker's errors)
  --help      show this help

While it runs, type a command and Enter:
  (Enter)   push credentials/ straight to main: the Worker holds it, unreviewed (r releases it)
  p         commit credentials/ to a branch and open (or update) a pull request: the Worker plans it
  a         approve that pull request as @npm-start-reviewer (a second local user)
  m         merge that pull request: a push to main, which the Worker applies once approved (else holds)
  r         release the held commit as the operator (POST /api/reconcile {"release"}, audited)
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
    throw new CliError("CLI_USAGE", `${messageOf(error)} (see --help)`);
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
  const reviewer = reviewerToken();
  stack.github = await startFakeGitHub({
    port: githubPort.port,
    host: HOST,
    // A second local user approves pull requests (key a); its reviews reach the Worker as GitHub's webhooks would.
    tokens: [{ token: vars.GITHUB_TOKEN, installation: true }, { token: reviewer, login: REVIEWER_LOGIN }],
    onWebhook: forwardReviews(workerUrl, vars.GITHUB_WEBHOOK_SECRET),
    app: { id: LOCAL_APP_ID, publicKeyPem: appKeys.publicKeyPem },
    // Links the Worker writes (html_url) lead to the stand-in's own pages, not to github.com.
    htmlUrl: githubUrl,
    // The stand-in's server reads the Worker's runs and audit log for its /-/worker page; the token stays server-side.
    ui: { worker: { url: workerUrl, adminToken: vars.ADMIN_TOKEN, repository: LOCAL_REPOSITORY } },
  });
  console.log(`GitHub stand-in  ${stack.github.url} (repository ${LOCAL_REPOSITORY}, branch main = ./credentials; web UI at ${stack.github.url}/)`);

  const filter = new WranglerLineFilter();
  const tail: string[] = [];
  stack.wrangler = await spawnWranglerDev({
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

  console.log(REVIEWS_ON);
  const loop = new Loop(stack.github, workerUrl, vars, cwd, reviewer);
  if (once) return isSuccess(await loop.seed()) ? 0 : 1;
  // Interactively a failed first round is reported, not fatal: fix credentials/ (or the Worker) and press Enter.
  await loop.seed().catch((error: unknown) => console.error(`error: ${messageOf(error)}`));

  printHints(workerUrl, stack.emulator.url, emulatorPort.port, stack.github.url);
  createInterface({ input: process.stdin }).on("line", (line) => loop.command(line.trim().toLowerCase()));
  // Runs until SIGINT/SIGTERM (also when stdin is closed): the servers and wrangler keep the process alive.
  return await new Promise<number>(() => undefined);
}

/** .dev.vars for the Worker, with the App's id and key instead of GITHUB_TOKEN (the App is preferred when both are set). */
function workerSecrets(vars: DevVars, appPrivateKeyPem: string): string {
  const lines = Object.entries(vars)
    .filter(([name]) => name !== "GITHUB_TOKEN")
    .map(([name, value]) => `${name}=${value}`);
  lines.push(`GITHUB_APP_ID=${LOCAL_APP_ID}`, `GITHUB_APP_PRIVATE_KEY="${appPrivateKeyPem.trim().replace(/\n/g, "\\n")}"`);
  return `${lines.join("\n")}\n`;
}

function printHints(workerUrl: string, emulatorUrl: string, emulatorPort: number, githubUrl: string): void {
  // `npm run plan` finds the emulator through EMULATOR_PORT, which is not in .dev.vars: name it when it is not the default.
  const plan = emulatorPort === DEFAULT_EMULATOR_PORT ? "`npm run plan`" : `\`EMULATOR_PORT=${emulatorPort} npm run plan\``;
  console.log(
    [
      "",
      "Edit credentials/, then p and Enter to open a pull request, a to approve it, m to merge it (Enter pushes straight to main, which is held); h for help; Ctrl-C to stop.",
      `Pull requests, checks, the drift issue, delivered secrets and the Worker's runs: ${githubUrl}/`,
      "Read a token (ADMIN_TOKEN is in .dev.vars):",
      `  ADMIN_TOKEN=$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)`,
      `  curl -H "Authorization: Bearer $ADMIN_TOKEN" ${workerUrl}/api/credentials/NAME/token`,
      `The ngrok emulator is at ${emulatorUrl} (API key NGROK_API_KEY from .dev.vars); ${plan} uses it too, as OWNER_ID ${CLI_OWNER_ID}`,
      `(the Worker is OWNER_ID ${START_OWNER_ID}: each leaves the other's credentials alone).`,
      `Preview what a merge will make the Worker do (read-only): ${previewCommand(emulatorPort)}`,
      "",
    ].join("\n"),
  );
}

/** `npm run plan` as npm start's Worker: the installation whose credentials a merge changes. */
function previewCommand(emulatorPort: number): string {
  const env = emulatorPort === DEFAULT_EMULATOR_PORT ? "" : `EMULATOR_PORT=${emulatorPort} `;
  return `${env}npm run plan -- --owner-id ${START_OWNER_ID}`;
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
