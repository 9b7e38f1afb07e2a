// The smaller HTTP rules: a delivery id is required, repository names compare case-insensitively, HEAD on a token
// reveals and audits nothing, a short ADMIN_TOKEN keeps the operator API closed, and operator audits name the caller.
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { signWebhook } from "../../standins/github/webhooks.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, commit, deliver, pushPayload, reconciler, settle } from "./support.js";

let base: string;

interface Entry {
  kind: string;
  name: string | null;
  result: string;
  actor: string | null;
  detail: { caller?: { ip: string | null; user_agent: string | null } };
}
const audit = async (query: string) => ((await (await admin(`/api/audit?${query}`)).json()) as { entries: Entry[] }).entries;

beforeAll(async () => {
  await freshWorld({ files: { "README.md": "http\n" } });
  base = (await commit("main", { "credentials/web.yaml": "credentials:\n  - name: web\n" })).sha;
  expect((await deliver("push", pushPayload(base, base))).status).toBe(202);
  expect((await settle()).last).toMatchObject({ status: "succeeded", summary: { create: 1 } });
});

describe("webhooks", () => {
  it("a signed delivery without X-GitHub-Delivery is refused with 400 and queues nothing", async () => {
    const before = (await reconciler().status()).last?.id;
    const body = JSON.stringify(pushPayload(base, base));
    const signature = await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, body);
    for (const delivery of [null, "", "a b", "x".repeat(200), "<script>"]) {
      const headers: Record<string, string> = { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature };
      if (delivery !== null) headers["X-GitHub-Delivery"] = delivery;
      const res = await SELF.fetch("http://worker/webhooks/github", { method: "POST", headers, body });
      expect(res.status, String(delivery)).toBe(400);
      expect(await res.text()).toContain("X-GitHub-Delivery");
    }
    const status = await settle();
    expect(status.last?.id).toBe(before);
  });

  it("compares repository.full_name case-insensitively, as GitHub does", async () => {
    const payload = pushPayload(base, base) as { repository: { full_name: string } };
    payload.repository.full_name = TEST_REPOSITORY.toUpperCase();
    const res = await deliver("push", payload);
    expect(res.status).toBe(202);
    expect((await settle()).last).toMatchObject({ cause: "push", sha: base });
  });
});

describe("the token endpoint", () => {
  it("HEAD gets the same answer for a stored token and for none, reads nothing and is not audited", async () => {
    const before = await audit("kind=token_read");
    const answers = [];
    for (const name of ["web", "nope"]) {
      const res = await admin(`/api/credentials/${name}/token`, { method: "HEAD" });
      answers.push({ status: res.status, body: await res.text(), length: res.headers.get("Content-Length"), cache: res.headers.get("Cache-Control") });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ status: 405, body: "", cache: "no-store" });
    expect(await audit("kind=token_read")).toEqual(before);
    // GET still reads, and is audited.
    expect((await admin("/api/credentials/web/token")).status).toBe(200);
    expect((await audit("kind=token_read")).length).toBe(before.length + 1);
  });
});

describe("ADMIN_TOKEN", () => {
  const call = async (adminToken: string | undefined, bearer: string) => {
    const ctx = createExecutionContext();
    const env = { ...bindings, ADMIN_TOKEN: adminToken } as unknown as Env;
    const res = await worker.fetch(new Request("http://worker/api/status", { headers: { Authorization: `Bearer ${bearer}` } }), env, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: await res.text() };
  };

  it("shorter than 32 characters keeps the operator API closed, says why, and never shows the token", async () => {
    for (const short of ["s".repeat(31), "short-admin-secret", "Qz"]) {
      const res = await call(short, short);
      expect(res.status, short).toBe(503);
      expect(res.body).toContain("shorter than 32 characters");
      expect(res.body).not.toContain(short);
    }
    const unset = await call(undefined, "anything-at-all-0123456789-0123456789");
    expect(unset.status).toBe(503);
    expect(unset.body).toContain("ADMIN_TOKEN is not set");
  });

  it("32 characters or more opens it to that token only", async () => {
    const token = "k".repeat(32);
    expect((await call(token, token)).status).toBe(200);
    expect((await call(token, "k".repeat(33))).status).toBe(401);
  });
});

describe("operator audit entries", () => {
  const who = { "CF-Connecting-IP": "203.0.113.7", "User-Agent": "curl/8.9.1 (audit-test)" };

  it("a token read records the caller's address and user agent", async () => {
    expect((await admin("/api/credentials/web/token", { headers: who })).status).toBe(200);
    const [latest] = await audit("kind=token_read&limit=1");
    expect(latest).toMatchObject({ kind: "token_read", name: "web", result: "revealed", actor: "operator" });
    expect(latest?.detail.caller).toEqual({ ip: "203.0.113.7", user_agent: "curl/8.9.1 (audit-test)" });
  });

  it("a run the operator asks for records them too, with control characters made harmless", async () => {
    const res = await admin("/api/plan", { method: "POST", headers: { ...who, "User-Agent": "evil\u0007agent" } });
    expect(res.status).toBe(202);
    await settle();
    const [latest] = await audit("kind=run&limit=1");
    expect(latest?.detail.caller).toEqual({ ip: "203.0.113.7", user_agent: "evil?agent" });
  });
});
