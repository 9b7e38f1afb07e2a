// Hostile HTTP: forged, broken, replayed and oversized webhooks, bad operator credentials and path tricks get the right status, apply nothing and leak nothing.
import { SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../standins/github/webhooks.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, deliver, emulatorCalls, pullRequestPayload, pushPayload, reconciler, settle } from "./support.js";
import { headerText, secretScanner, type SecretScanner } from "./secrets.js";

let base: string;
let scanner: SecretScanner;
let firstRun: number;
/** Every response of this file, scanned at the end as well as where it is made. */
const seen: { what: string; status: number; headers: string; body: string }[] = [];

async function record(what: string, response: Response): Promise<{ status: number; body: string }> {
  const body = await response.text();
  seen.push({ what, status: response.status, headers: headerText(response), body });
  expect(scanner.find(`${headerText(response)}\n${body}`), what).toEqual([]);
  return { status: response.status, body };
}

const worker = (path: string, init: RequestInit = {}) => SELF.fetch(`http://worker${path}`, init);
const webhook = (headers: Record<string, string>, body: BodyInit) => worker("/webhooks/github", { method: "POST", headers, body });

beforeAll(async () => {
  scanner = await secretScanner();
  base = (await freshWorld({ files: { "README.md": "hostile\n" } })).base;
  await settle();
  firstRun = ((await reconciler().status()).last?.id ?? 0) + 1;
});

afterAll(async () => {
  // Nothing any of these requests did reached ngrok as a write.
  const writes = (await emulatorCalls()).filter((call) => call.method !== "GET");
  expect(writes).toEqual([]);
  for (const response of seen) expect(scanner.find(`${response.headers}\n${response.body}`), response.what).toEqual([]);
});

describe("hostile webhooks", () => {
  const payload = () => JSON.stringify(pushPayload(base, base));
  const headers = (extra: Record<string, string> = {}) => ({ "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": `hostile-${crypto.randomUUID()}`, ...extra });

  it("refuses forged, broken and oversized deliveries before reading them, and queues nothing", async () => {
    const body = payload();
    const good = await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, body);
    const cases: [string, Record<string, string>, BodyInit, number][] = [
      ["unsigned", headers(), body, 401],
      ["wrong secret", headers({ "X-Hub-Signature-256": await signWebhook("not-the-secret", body) }), body, 401],
      ["secret as a prefix", headers({ "X-Hub-Signature-256": await signWebhook(`${TEST_SECRETS.GITHUB_WEBHOOK_SECRET}x`, body) }), body, 401],
      ["truncated body, signature of the whole", headers({ "X-Hub-Signature-256": good }), body.slice(0, body.length - 10), 401],
      ["extended body", headers({ "X-Hub-Signature-256": good }), `${body} `, 401],
      ["sha1 signature header only", headers({ "X-Hub-Signature": `sha1=${"0".repeat(40)}` }), body, 401],
      ["signature without sha256= prefix", headers({ "X-Hub-Signature-256": good.slice("sha256=".length) }), body, 401],
      ["uppercase hex signature", headers({ "X-Hub-Signature-256": `sha256=${good.slice(7).toUpperCase()}` }), body, 401],
      ["empty signature", headers({ "X-Hub-Signature-256": "" }), body, 401],
      ["signature of another body", headers({ "X-Hub-Signature-256": await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, "{}") }), body, 401],
      ["wrong content type, unsigned", headers({ "Content-Type": "text/plain" }), body, 401],
      ["form-encoded, unsigned", headers({ "Content-Type": "application/x-www-form-urlencoded" }), `payload=${encodeURIComponent(body)}`, 401],
      ["oversized, unsigned", headers(), `{"padding":"${"x".repeat(6 * 1024 * 1024)}"}`, 413],
      ["oversized, signed", headers({ "X-Hub-Signature-256": good }), `${body}${" ".repeat(6 * 1024 * 1024)}`, 413],
    ];
    // An empty body cannot be verified at all: 401 too.
    cases.push(["signed, empty body", headers({ "X-Hub-Signature-256": await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, "") }), "", 401]);
    for (const [what, h, b, status] of cases) expect((await record(what, await webhook(h, b))).status, what).toBe(status);
    // Signed (so authentic) but unusable: malformed bodies are 400.
    for (const [what, b] of [
      ["signed, truncated JSON", body.slice(0, 40)],
      ["signed, form-encoded", `payload=${encodeURIComponent(body)}`],
      ["signed, a JSON list", "[1,2]"],
    ] as const) {
      const res = await webhook(headers({ "Content-Type": what.includes("form") ? "application/x-www-form-urlencoded" : "application/json", "X-Hub-Signature-256": await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, b) }), b);
      expect((await record(what, res)).status, what).toBe(400);
    }
    const pr = JSON.stringify({ ...pullRequestPayload("opened", 7, base, base), pull_request: { number: 7, head: { sha: "not-a-sha" } } });
    const badPr = await webhook({ ...headers({ "X-GitHub-Event": "pull_request" }), "X-Hub-Signature-256": await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, pr) }, pr);
    expect((await record("pull_request with a bad head sha", badPr)).status).toBe(400);
    const status = await settle();
    expect(status.last?.id ?? 0).toBeLessThan(firstRun);
  });

  it("ignores unknown events and other repositories with a 200, and answers GET with 404", async () => {
    // (Header values are trimmed by HTTP itself: "push " is "push".)
    for (const event of ["issues", "", "PUSH", "Push", "check_run", "installation", "__proto__"]) {
      const res = await deliver(event, pushPayload(base, base));
      expect((await record(`event "${event}"`, res)).status, event).toBe(200);
    }
    const other = pushPayload(base, base) as { repository: { full_name: string } };
    other.repository.full_name = `${TEST_REPOSITORY}-evil`;
    expect((await record("another repository", await deliver("push", other))).status).toBe(200);
    const pr = pullRequestPayload("closed", 7, base, base);
    expect((await record("pull_request closed", await deliver("pull_request", pr))).status).toBe(200);
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const res = await worker("/webhooks/github", { method });
      expect((await record(`${method} /webhooks/github`, res)).status, method).toBe(404);
    }
    expect((await settle()).last?.id ?? 0).toBeLessThan(firstRun);
  });

  it("a replayed delivery runs once", async () => {
    const delivery = `replayed-${crypto.randomUUID()}`;
    const first = await deliver("push", pushPayload(base, base), { delivery });
    expect((await record("first delivery", first)).status).toBe(202);
    for (let i = 0; i < 5; i++) {
      const again = await record("replay", await deliver("push", pushPayload(base, base), { delivery }));
      expect(again.status).toBe(200);
      expect(JSON.parse(again.body)).toMatchObject({ duplicate: true });
    }
    await settle();
    const runs = [];
    for (let id = firstRun; ; id++) {
      const run = await reconciler().run(id);
      if (!run) break;
      runs.push(run);
    }
    expect(runs.map((r) => [r.cause, r.delivery])).toEqual([["push", delivery]]);
  });
});

describe("hostile operator requests", () => {
  const endpoints: [string, string][] = [
    ["GET", "/api/status"],
    ["GET", "/api/runs/1"],
    ["GET", "/api/audit"],
    ["GET", "/api/audit?kind=token_read"],
    ["POST", "/api/plan"],
    ["POST", "/api/reconcile"],
    ["GET", "/api/credentials/web/token"],
  ];
  const token = TEST_SECRETS.ADMIN_TOKEN;
  const wrong: [string, Record<string, string>][] = [
    ["no Authorization", {}],
    ["wrong token", { Authorization: "Bearer wrong" }],
    ["Bearer with an empty token", { Authorization: "Bearer " }],
    ["Bearer alone", { Authorization: "Bearer" }],
    ["Basic with the token as password", { Authorization: `Basic ${btoa(`admin:${token}`)}` }],
    ["Basic with the token", { Authorization: `Basic ${token}` }],
    ["the token without a scheme", { Authorization: token }],
    ["a shorter token", { Authorization: `Bearer ${token.slice(0, -1)}` }],
    ["a longer token", { Authorization: `Bearer ${token}0` }],
    ["a token of a different length", { Authorization: `Bearer ${"x".repeat(200)}` }],
    ["the token with another case", { Authorization: `Bearer ${token.toUpperCase()}` }],
    ["two tokens", { Authorization: `Bearer wrong, Bearer ${token}` }],
    ["the token in another header", { "X-Admin-Token": token, "X-Api-Key": token }],
    ["the token as a cookie", { Cookie: `token=${token}` }],
  ];

  it("every endpoint answers 401 to every wrong or malformed credential, and does nothing", async () => {
    const before = (await reconciler().status()).last?.id ?? 0;
    for (const [method, path] of endpoints) {
      for (const [what, headers] of wrong) {
        const res = await record(`${what}: ${method} ${path}`, await worker(path, { method, headers, ...(method === "POST" ? { body: '{"allow_deletes":true}' } : {}) }));
        expect(res.status, `${what}: ${method} ${path}`).toBe(401);
        expect(JSON.parse(res.body), what).toEqual({ error: "unauthorized" });
      }
      const query = await record(`token in the query: ${path}`, await worker(`${path}${path.includes("?") ? "&" : "?"}token=${token}&access_token=${token}`, { method }));
      expect(query.status).toBe(401);
    }
    const status = await settle();
    expect(status.last?.id ?? 0).toBe(before);
    expect(status.queued).toEqual([]);
  });

  it("path tricks never get past the token check, and reach nothing they should not", async () => {
    const tricks = [
      "/api/../api/status",
      "/api/%2e%2e/api/status",
      "/webhooks/github/../../api/status",
      "/healthz/../api/status",
      "/API/status",
      "/Api/Status",
      "//api/status",
      "/api//status",
      "/api/status/",
      "/api/status%2f",
      "/api/status;x",
      "/api/status%00",
      "/api/credentials/..%2f..%2fx/token",
      "/api/credentials/web%2ftoken",
      "/api/credentials/%2e%2e/token",
      `/api/credentials/${"a".repeat(10_000)}/token`,
      "/api/runs/1%20OR%201=1",
      "/api/audit?limit=-1",
    ];
    for (const path of tricks) {
      // Without the token: a 401, or a 404 for what is not a route at all; never a 200.
      const res = await record(`no token: ${path}`, await worker(path));
      expect([401, 404], path).toContain(res.status);
    }
    // With the token, names that are not names are 404 before the vault is asked, and runs are whole numbers.
    const authed = (path: string) => worker(path, { headers: { Authorization: `Bearer ${token}` } });
    for (const path of [
      "/api/credentials/..%2f..%2fx/token",
      "/api/credentials/%2e%2e/token",
      "/api/credentials/web%2f..%2fweb/token",
      "/api/credentials/Web/token",
      "/api/credentials/%E2%80%AEweb/token",
      "/api/credentials/web%00/token",
      `/api/credentials/${"a".repeat(64)}/token`,
      `/api/credentials/${"a".repeat(10_000)}/token`,
      "/api/credentials/%77eb/token",
      "/api/runs/999999999",
      "/api/runs/-1",
      "/api/nope",
    ]) {
      const res = await record(`token: ${path}`, await authed(path));
      expect(res.status, path).toBe(404);
    }
    // A run id is digits only: 1e3 or 01 name no run (parseInt would have read 1e3 as run 1).
    for (const path of ["/api/runs/1e3", "/api/runs/01", "/api/runs/-1"]) expect((await authed(path)).status, path).toBe(404);
    for (const path of ["/api/audit?limit=-1", "/api/audit?before=1%20OR%201=1", "/api/audit?limit=1e3"]) {
      expect((await record(`token: ${path}`, await authed(path))).status, path).toBe(400);
    }
    // Nothing was stored, and none of it was audited as a reveal.
    const audit = JSON.parse((await record("audit", await authed("/api/audit?kind=token_read&limit=500"))).body) as { entries: { result: string }[] };
    expect(audit.entries.filter((e) => e.result === "revealed")).toEqual([]);
  });

  it("the scanner is live: it finds each secret it is meant to find", () => {
    expect(scanner.size).toBeGreaterThan(1000);
    expect(scanner.find(`x ${TEST_SECRETS.ADMIN_TOKEN} y`)).toContain("ADMIN_TOKEN");
    expect(scanner.find(JSON.stringify({ k: TEST_SECRETS.GITHUB_WEBHOOK_SECRET }))).toContain("GITHUB_WEBHOOK_SECRET");
    expect(seen.length).toBeGreaterThan(100);
  });
});
