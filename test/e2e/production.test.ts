// From a laptop to production against the GitHub stand-in: `npm run setup` through the App manifest flow in a real browser, the Worker started with setup's secrets, and `npm run doctor` line by line.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";
import { freePort, spawnWranglerDev, stopProcessGroup, waitForHealth } from "../../dev/wrangler-dev.js";
import { launchBrowser } from "./browser.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REPO = "octocat/infra";
const KV_ID = "0123456789abcdef0123456789abcdef";
const HOST = "127.0.0.1";

let github: StartedFakeGitHub;
let browser: Browser;
let dir = "";
let worker: ChildProcess | null = null;
let workerUrl = "";
const workerLines: string[] = [];
/** Children still running (a setup waiting for a browser that failed): ended in afterAll. */
const children = new Set<ChildProcess>();

/** Cloudflare cannot be reached here: WRANGLER points at this recorder, which prints what `kv namespace create` prints. */
const RECORDER = `#!/usr/bin/env node
require("fs").appendFileSync(process.env.WRANGLER_RECORD, JSON.stringify(process.argv.slice(2)) + "\\n");
if (process.argv[2] === "kv") console.log('Add the following to your configuration file:\\n[[kv_namespaces]]\\nbinding = "TOKENS"\\nid = "${KV_ID}"');
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run <command>`'s entry with `args`; `onLine` sees stdout as it comes. */
function ops(command: string, args: string[], env: Record<string, string> = {}, onLine?: (line: string) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/ops/main.ts", command, "--config", join(dir, "wrangler.toml"), "--secrets", join(dir, "secrets.json"), "--github-api-url", github.url, ...args], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER: join(dir, "wrangler"), WRANGLER_RECORD: join(dir, "wrangler.log"), GITHUB_TOKEN: "", GITHUB_APP_ID: "", GITHUB_APP_PRIVATE_KEY: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.on("exit", () => children.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of chunk.toString().split("\n")) if (line) onLine?.(line);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const secrets = async () => JSON.parse(await readFile(join(dir, "secrets.json"), "utf8")) as Record<string, string>;
const recorded = async () => (await readFile(join(dir, "wrangler.log"), "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]);

/** Every secret value that must never be printed (the long ones; short ids are not secret). */
const secretValues = async () => Object.entries(await secrets()).filter(([name]) => name !== "GITHUB_APP_ID").map(([, v]) => v);

beforeAll(async () => {
  github = await startFakeGitHub({ port: 0, tokens: [{ token: "admin-token-octocat", login: "octocat" }], repos: [{ fullName: REPO, files: { "credentials/a.yaml": "credentials: []\n" } }] });
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-prod-"));
  const toml = (await readFile(join(ROOT, "wrangler.toml"), "utf8")).replace('main = "src/index.ts"', `main = ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  await writeFile(join(dir, "wrangler.toml"), toml);
  await writeFile(join(dir, "wrangler"), RECORDER);
  await chmod(join(dir, "wrangler"), 0o755);
});

afterAll(async () => {
  for (const child of children) child.kill();
  await stopProcessGroup(worker);
  await browser?.close();
  await github?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("npm run setup", () => {
  it("--dry-run lists the steps (vars, secrets, GitHub App manifest flow, KV namespace) and writes nothing", async () => {
    const before = await readFile(join(dir, "wrangler.toml"), "utf8");
    const ran = await ops("setup", ["--dry-run", "--repo", REPO, "--worker-url", "http://127.0.0.1:9"], { NGROK_API_KEY: "ngrok-key-dry-0123456789" });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain("would write ADMIN_TOKEN, TOKEN_ENCRYPTION_KEYS, GITHUB_WEBHOOK_SECRET");
    expect(ran.stdout).toContain("would serve a page on 127.0.0.1 that posts the App manifest");
    expect(ran.stdout).toContain("POST /app-manifests/{code}/conversions");
    expect(ran.stdout).toContain("would run `wrangler kv namespace create ngrok-gitops-tokens-gitops-octocat-infra`");
    expect(ran.stdout).not.toContain("ngrok-key-dry-0123456789");
    expect(await readFile(join(dir, "wrangler.toml"), "utf8")).toBe(before);
    await expect(stat(join(dir, "secrets.json"))).rejects.toThrow();
    expect(await recorded()).toEqual([]);
  });

  it("creates the App through GitHub's manifest flow in the browser, writes the secrets (0600, never printed) and the KV id", async () => {
    // The Worker's port is chosen now: the App's webhook URL points at it.
    const port = await freePort(HOST);
    workerUrl = `http://${HOST}:${port}`;
    let pageUrl: (value: string) => void = () => {};
    const opened = new Promise<string>((resolve) => (pageUrl = resolve));
    const running = ops("setup", ["--repo", REPO, "--worker-url", workerUrl, "--app-name", "gitops-infra"], { NGROK_API_KEY: "ngrok-key-0123456789-abcdef" }, (line) => {
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/) in your browser/.exec(line);
      if (m?.[1]) pageUrl(m[1]);
    });
    const page = await browser.newPage();
    await page.goto(await opened);
    await page.click("#create");
    // GitHub's registration page, the manifest's name filled in and editable.
    expect(await page.inputValue("input[name=name]")).toBe("gitops-infra");
    expect(await page.textContent(".hook-url")).toBe(`${workerUrl}/webhooks/github`);
    await page.click("button:has-text(\"Create GitHub App for octocat\")");
    await page.waitForSelector("text=Created the GitHub App gitops-infra", { timeout: 10_000 }).catch(async (e) => { throw new Error(`${String(e)} at ${page.url()}: ${await page.content()}`); });
    const ran = await running;
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const app = github.fake.apps.bySlug("gitops-infra");
    expect(app?.events).toEqual(["push", "pull_request", "pull_request_review", "issue_comment"]);
    expect(app?.permissions).toEqual({ metadata: "read", contents: "read", pull_requests: "write", issues: "write", checks: "write", statuses: "write" });
    const s = await secrets();
    expect(s["GITHUB_APP_ID"]).toBe(String(app?.id));
    expect(s["GITHUB_APP_PRIVATE_KEY"]).toContain("BEGIN RSA PRIVATE KEY");
    expect(s["GITHUB_WEBHOOK_SECRET"]).toBe(app?.hook?.secret);
    expect(s["NGROK_API_KEY"]).toBe("ngrok-key-0123456789-abcdef");
    expect(s["ADMIN_TOKEN"]?.length).toBeGreaterThanOrEqual(32);
    expect(s["TOKEN_ENCRYPTION_KEYS"]).toMatch(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{44}$/);
    expect((await stat(join(dir, "secrets.json"))).mode & 0o777).toBe(0o600);
    const toml = await readFile(join(dir, "wrangler.toml"), "utf8");
    expect(toml).toContain(`id = "${KV_ID}"`);
    expect(toml).toContain(`GITHUB_REPOSITORY = "${REPO}"`);
    expect(toml).toContain(`OWNER_ID = "gitops-octocat-infra"`);
    expect((await recorded())[0]?.slice(0, 4)).toEqual(["kv", "namespace", "create", "ngrok-gitops-tokens-gitops-octocat-infra"]);
    for (const value of await secretValues()) expect(ran.stdout + ran.stderr).not.toContain(value);
    expect(ran.stdout).toContain(`${github.url}/apps/gitops-infra/installations/new`);
    await page.close();
  });

  it("run again, keeps every step it already did", async () => {
    const before = await readFile(join(dir, "secrets.json"), "utf8");
    const ran = await ops("setup", ["--repo", REPO, "--worker-url", workerUrl]);
    expect(ran.code, ran.stdout).toBe(0);
    expect(ran.stdout).toContain("kept ADMIN_TOKEN, TOKEN_ENCRYPTION_KEYS, GITHUB_WEBHOOK_SECRET, NGROK_API_KEY");
    expect(ran.stdout).toMatch(/github app: kept App \d+/);
    expect(ran.stdout).toContain("kv: kept the TOKENS namespace id");
    expect(await readFile(join(dir, "secrets.json"), "utf8")).toBe(before);
    expect((await recorded()).length).toBe(1);
  });
});

describe("npm run doctor", () => {
  it("against the Worker running with setup's secrets: ✓ health, App and webhook; ✗ until installed and protected, each with its fix", async () => {
    const s = await secrets();
    const envFile = join(dir, "worker.env");
    await writeFile(envFile, Object.entries(s).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n"));
    worker = await spawnWranglerDev({ port: Number(new URL(workerUrl).port), host: HOST, vars: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPO, OWNER_ID: "gitops-octocat-infra" }, persistTo: join(dir, "state"), envFile, logLevel: "warn", onLine: (line) => workerLines.push(line) });
    try {
      await waitForHealth(workerUrl, worker, 150_000);
    } catch (error) {
      throw new Error(`${String(error)}; wrangler said:\n${workerLines.slice(-20).join("\n")}`);
    }

    const first = await ops("doctor", [workerUrl]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(`✓ ${workerUrl}/healthz answers {"ok":true}`);
    expect(first.stdout).toMatch(/✓ GitHub App gitops-infra \(id \d+\)/);
    expect(first.stdout).toContain(`✓ webhook URL is ${workerUrl}/webhooks/github (JSON)`);
    expect(first.stdout).toContain("✓ subscribed to push, pull_request");
    expect(first.stdout).toContain(`✗ the App is not installed on ${REPO}`);
    expect(first.stdout).toContain(`→ install it: ${github.url}/apps/gitops-infra/installations/new`);

    // Install it the way a person does: the install page, only this repository.
    const page = await browser.newPage();
    await page.goto(`${github.url}/apps/gitops-infra/installations/new`);
    await page.check("input[value=selected]");
    await page.check(`input[value="${REPO}"]`);
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Installed gitops-infra");
    await page.close();

    const second = await ops("doctor", [workerUrl]);
    expect(second.stdout).toMatch(new RegExp(`✓ installed on ${REPO} \\(installation \\d+\\) with the permissions it needs`));
    // The App asks for no administration permission: protection is not readable with its token, and doctor says how to check.
    expect(second.stdout).toContain("– branch protection of main is not readable with the App's installation token (403 Resource not accessible by integration)");
    expect(second.code).toBe(0);

    // With an admin's token it is readable: unprotected is ✗, protected without the plan check ✗, with it ✓.
    const admin = { GITHUB_TOKEN: "admin-token-octocat" };
    expect((await ops("doctor", [workerUrl], admin)).stdout).toContain("✗ main is not protected: a pull request can merge without a plan");
    await protect(["ci/build"]);
    const unrequired = await ops("doctor", [workerUrl], admin);
    expect(unrequired.stdout).toContain("✗ main's protection does not require ngrok-gitops/plan");
    expect(unrequired.stdout).toContain("→ Settings → Branches → main: require status check ngrok-gitops/plan");
    await protect(["ci/build", "ngrok-gitops/plan"]);
    const healthy = await ops("doctor", [workerUrl], admin);
    expect(healthy.stdout).toContain("✓ main requires the ngrok-gitops/plan check");
    expect(healthy.code).toBe(0);
    for (const value of await secretValues()) expect(healthy.stdout + healthy.stderr).not.toContain(value);
  });

  it("names a Worker the App's webhook does not point at, and one that does not answer", async () => {
    const elsewhere = `http://${HOST}:${await freePort(HOST)}`;
    const ran = await ops("doctor", [elsewhere]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(`✗ ${elsewhere}/healthz is not reachable`);
    expect(ran.stdout).toContain(`✗ the App's webhook URL is ${workerUrl}/webhooks/github, not this Worker`);
    expect(ran.stdout).toContain(`set Webhook URL to ${elsewhere}/webhooks/github`);
  });
});

async function protect(contexts: string[]): Promise<void> {
  const res = await fetch(`${github.url}/repos/${REPO}/branches/main/protection`, {
    method: "PUT",
    headers: { authorization: "token admin-token-octocat", "user-agent": "test", "content-type": "application/json" },
    body: JSON.stringify({ required_status_checks: { strict: true, contexts }, enforce_admins: true, required_pull_request_reviews: null, restrictions: null }),
  });
  expect(res.status).toBe(200);
}

