// Secret hygiene: after a whole loop (PR plan, merge, drift cron, failing runs), no output anywhere holds a token, key or secret.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, commit, deliver, emulator, emulatorTokens, github, liveCredentials, pullRequestPayload, pushPayload, reconciler, settle } from "./support.js";
import { headerText, secretScanner } from "./secrets.js";

const SPECS = [
  "credentials:",
  "  - name: hyg-web",
  "    description: web tunnels",
  "    acl: [bind:web.example.com]",
  "  - name: hyg-ci",
  "    metadata: {team: ci}",
  "  - name: hyg-jobs",
  "    owner_id: bot_1jobs",
  "",
].join("\n");
const EXTRA = `${SPECS}  - name: hyg-extra\n  - name: hyg-more\n`;

/** Everything the Worker said: [where, text]. */
const outputs: [string, string][] = [];
/** Every token the emulator ever minted (a deleted credential's token leaves its map, so it is sampled after each step). */
const minted = new Map<string, string>();
const consoleLines: string[] = [];
const methods = ["log", "warn", "error", "info", "debug"] as const;
const originals = new Map<(typeof methods)[number], (...args: unknown[]) => void>();
let firstRun = 0;
let base = "";

async function sampleTokens(): Promise<void> {
  for (const [id, token] of Object.entries(await emulatorTokens())) minted.set(id, token);
}

async function keep(where: string, response: Response, options: { body?: boolean } = {}): Promise<Response> {
  outputs.push([`${where} (headers)`, headerText(response)]);
  const text = await response.clone().text();
  if (options.body !== false) outputs.push([where, text]);
  return response;
}

async function cron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  await settle();
}

beforeAll(async () => {
  // The Durable Object runs in this isolate under vitest-pool-workers, so this catches its lines too.
  for (const method of methods) {
    originals.set(method, console[method]);
    console[method] = (...args: unknown[]) => {
      consoleLines.push(`${method}: ${args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack ?? ""}` : JSON.stringify(a))).join(" ")}`);
    };
  }
  base = (await freshWorld({ files: { "README.md": "hygiene\n" }, seed: [{ description: "someone's laptop", metadata: "laptop" }] })).base;
  await settle();
  firstRun = ((await reconciler().status()).last?.id ?? 0) + 1;
});

afterAll(() => {
  for (const [method, original] of originals) console[method] = original;
});

describe("secret hygiene over a whole loop", () => {
  it("runs the loop: PR plan, merge, drift cron, failing runs, token reads, an internal error", async () => {
    // 1. A pull request gets a plan (comment + check).
    const head = (await commit("pr-301", { "credentials/hyg.yaml": SPECS })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 301, head_ref: "pr-301", head_sha: head, base_ref: "main" });
    expect((await keep("PR webhook", await deliver("pull_request", pullRequestPayload("opened", 301, head, base)))).status).toBe(202);
    expect((await settle()).last).toMatchObject({ cause: "pull_request", status: "succeeded" });
    // 2. The merge applies: three tokens are minted and stored.
    const merged = (await commit("main", { "credentials/hyg.yaml": SPECS })).sha;
    expect((await keep("push webhook", await deliver("push", pushPayload(merged, base)))).status).toBe(202);
    expect((await settle()).last).toMatchObject({ cause: "push", status: "succeeded" });
    await sampleTokens();
    // 3. Drift: one edited, one deleted by hand; the cron puts them back (a fourth token).
    const live = await liveCredentials();
    const web = live.find((c) => c.description === "web tunnels")!;
    const ci = live.find((c) => c.metadata?.includes('"hyg-ci"'))!;
    await emulator("PATCH", `/credentials/${web.id}`, { description: "edited by hand" });
    await emulator("DELETE", `/credentials/${ci.id}`);
    await cron();
    expect((await reconciler().status()).last).toMatchObject({ cause: "cron", status: "succeeded" });
    await sampleTokens();
    // 4. Failing runs: a create whose answer is lost after it committed (a token minted and never stored), then a
    //    PR plan whose listing fails, then the next push cleans up the orphan.
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "POST", path: "/credentials", commitThenFail: true, status: 502 }] });
    const more = (await commit("main", { "credentials/hyg.yaml": EXTRA })).sha;
    expect((await keep("push webhook 2", await deliver("push", pushPayload(more, merged)))).status).toBe(202);
    await settle();
    await sampleTokens();
    expect((await reconciler().status()).last).toMatchObject({ cause: "push", status: "failed" });
    await emulator("DELETE", "/__emulator/faults");
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "GET", path: "/credentials", status: 401, times: 20 }] });
    const prHead = (await commit("pr-350", { "credentials/hyg.yaml": EXTRA })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 350, head_ref: "pr-350", head_sha: prHead, base_ref: "main" });
    await keep("PR webhook 2", await deliver("pull_request", pullRequestPayload("opened", 350, prHead, more)));
    await settle();
    expect((await reconciler().status()).last).toMatchObject({ cause: "pull_request", status: "failed" });
    await emulator("DELETE", "/__emulator/faults");
    await keep("manual reconcile", await admin("/api/reconcile", { method: "POST" }));
    expect((await settle()).last).toMatchObject({ cause: "manual", status: "succeeded" });
    await sampleTokens();
    // 5. Token reads: the body is the one intended exception; its headers still count.
    for (const name of ["hyg-web", "hyg-ci", "hyg-jobs", "hyg-extra", "hyg-more"]) {
      const res = await keep(`token of ${name}`, await admin(`/api/credentials/${name}/token`), { body: false });
      expect(res.status, name).toBe(200);
    }
    // 6. Error responses.
    await keep("401", await admin("/api/status", { headers: { Authorization: "Bearer nope" } }));
    await keep("404 token", await admin("/api/credentials/nothing/token"));
    await keep("404 run", await admin("/api/runs/99999999"));
    await keep("400 audit", await admin("/api/audit?limit=x"));
    await keep("401 webhook", await deliver("push", pushPayload(more, merged), { secret: "wrong" }));
    // 7. An internal error: a corrupt vault entry makes the token read throw, the Worker logs and answers 500.
    await bindings.TOKENS.put("token:hyg-corrupt", `{"not":"a token","secret":"${"x".repeat(10)}"}`);
    try {
      const res = await keep("500", await admin("/api/credentials/hyg-corrupt/token"));
      expect(res.status).toBe(500);
    } finally {
      await bindings.TOKENS.delete("token:hyg-corrupt");
    }
  });

  it("collects every output: PR comments, checks, statuses, issues, audit pages, status, runs", async () => {
    const view = await github<Record<string, unknown>>("GET", `/__fake/repos/${TEST_REPOSITORY}`);
    for (const key of ["comments", "check_runs", "statuses", "issues"]) outputs.push([`GitHub ${key}`, JSON.stringify(view[key])]);
    let before: number | null = null;
    let pages = 0;
    do {
      const res = await keep(`audit page ${pages}`, await admin(`/api/audit?limit=10${before ? `&before=${before}` : ""}`));
      before = ((await res.json()) as { next_before: number | null }).next_before;
      pages++;
    } while (before !== null && pages < 200);
    expect(pages).toBeGreaterThan(1);
    const status = await keep("status", await admin("/api/status"));
    const last = ((await status.json()) as { last: { id: number } }).last.id;
    for (let id = firstRun; id <= last; id++) await keep(`run ${id}`, await admin(`/api/runs/${id}`));
    expect(last - firstRun).toBeGreaterThanOrEqual(5);
  });

  it("none of it holds a token, the API key, the webhook secret, the admin token, the App key or the encryption key", async () => {
    await sampleTokens();
    const scanner = await secretScanner({ tokens: true });
    const extra = new Map([...minted].map(([id, token]) => [token, `token of ${id}`]));
    // At least the 5 stored tokens, the re-created one and the orphan minted by the commit-then-fail create.
    expect(minted.size).toBeGreaterThanOrEqual(7);
    const leaks: string[] = [];
    const scan = (where: string, text: string) => {
      for (const name of scanner.find(text)) leaks.push(`${where}: ${name}`);
      for (const [token, name] of extra) if (text.includes(token)) leaks.push(`${where}: ${name}`);
    };
    for (const [where, text] of outputs) scan(where, text);
    for (const line of consoleLines) scan("console", line);
    expect(leaks).toEqual([]);
    // The collection is real: outputs of every kind, and the console capture saw the Worker's one log line.
    expect(outputs.length).toBeGreaterThan(30);
    const comments = outputs.find(([where]) => where === "GitHub comments")?.[1] ?? "";
    expect(comments).toContain("hyg-web");
    expect(outputs.some(([, text]) => text.includes("plan_text"))).toBe(true);
    expect(consoleLines.some((line) => line.startsWith("error: unhandled error"))).toBe(true);
    // And the scanner does find a token where there is one.
    const [someToken] = [...minted.values()];
    expect(someToken && [...scanner.find(`x${someToken}x`), ...[...extra.keys()].filter((t) => `x${someToken}x`.includes(t))].length).toBeGreaterThan(0);
    expect(scanner.find(TEST_SECRETS.NGROK_API_KEY)).toEqual(["NGROK_API_KEY"]);
  });
});
