// The GitHub loop in workerd: verified webhooks, read-only PR plans (sticky comment, check with annotations), apply on merge.
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, commit, reconciler, deliver, emulatorCalls, emulatorTokens, github, liveCredentials, pullRequestPayload, pushPayload, repoView, settle } from "./support.js";

const GOOD = "credentials:\n  - name: web\n    description: web tunnels\n    acl: [bind:web.example.com]\n  - name: ci\n    metadata: {team: ci}\n";
const BAD = "credentials:\n  - name: web\n    acl: [connect:nope]\n  - name: Bad_Name\n";

let base: string;
let unmanagedId: string;
const lastRun = async () => (await reconciler().status()).last?.id ?? null;

beforeAll(async () => {
  const world = await freshWorld({ files: { "README.md": "hello\n" }, seed: [{ description: "made by hand", metadata: "laptop" }] });
  unmanagedId = world.seeded[0]!.id;
  base = world.base;
});

describe("webhook verification", () => {
  it("refuses unsigned, wrongly signed and malformed deliveries, and queues nothing", async () => {
    const lastRunBefore = await lastRun();
    const payload = pushPayload(base, base);
    expect((await deliver("push", payload, { secret: "" })).status).toBe(401);
    expect((await deliver("push", payload, { secret: "wrong-secret" })).status).toBe(401);
    const bad = await deliver("push", "not json" as unknown);
    expect(bad.status).toBe(400);
    const body = JSON.stringify(payload);
    const tampered = await fetchWebhook("push", body.replace("main", "mainx"), await signFor(body));
    expect(tampered.status).toBe(401);
    const status = await settle();
    expect(status.last?.id ?? null).toBe(lastRunBefore);
  });

  it("answers ping, ignores other repositories, branches and events", async () => {
    const lastRunBefore = await lastRun();
    expect((await deliver("ping", { zen: "Keep it logically awesome." })).status).toBe(200);
    const other = pushPayload(base, base) as { repository: { full_name: string } };
    other.repository.full_name = "someone/else";
    expect(await (await deliver("push", other)).json()).toEqual({ ignored: "another repository" });
    expect(await (await deliver("push", pushPayload(base, base, "refs/heads/feature"))).json()).toEqual({ ignored: "not the default branch" });
    expect((await deliver("issues", { repository: { full_name: TEST_REPOSITORY } })).status).toBe(200);
    expect((await settle()).last?.id ?? null).toBe(lastRunBefore);
  });
});

describe("pull requests get a read-only plan", () => {
  let bad: string;
  it("a bad spec: failing check with line annotations, one comment, no write to ngrok", async () => {
    bad = (await commit("pr-1", { "credentials/team.yaml": BAD })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 1, head_ref: "pr-1", head_sha: bad, base_ref: "main" });
    const res = await deliver("pull_request", pullRequestPayload("opened", 1, bad, base));
    expect(res.status).toBe(202);
    const status = await settle();
    expect(status.last?.errors.join("\n")).toMatch(/credentials\/team.yaml/);
    expect(status.last).toMatchObject({ cause: "pull_request", status: "invalid", pr: 1, sha: bad });
    const view = await repoView();
    const check = view.check_runs.find((run) => run.head_sha === bad && run.name === "ngrok-gitops/plan");
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.annotations.map((a) => [a.path, a.start_line])).toEqual([
      ["credentials/team.yaml", 3],
      ["credentials/team.yaml", 4],
    ]);
    const comments = view.comments.filter((c) => c.issue_number === 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("credentials/team.yaml:3:");
    expect(new Set((await emulatorCalls()).map((call) => call.method))).toEqual(new Set());
  });

  it("a push to the PR updates the same comment; the plan reads only (GET)", async () => {
    const fixed = (await commit("pr-1", { "credentials/team.yaml": GOOD })).sha;
    expect((await deliver("pull_request", pullRequestPayload("synchronize", 1, fixed, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "succeeded", sha: fixed, summary: { create: 2, update: 0, delete: 0 } });
    const view = await repoView();
    const comments = view.comments.filter((c) => c.issue_number === 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("Plan: 2 to create, 0 to update, 0 to delete.");
    expect(comments[0]?.body).not.toContain(unmanagedId);
    expect(view.check_runs.find((run) => run.head_sha === fixed)).toMatchObject({ conclusion: "success" });
    expect(new Set((await emulatorCalls()).map((call) => call.method))).toEqual(new Set(["GET"]));
    expect((await liveCredentials()).map((c) => c.id)).toEqual([unmanagedId]);
  });
});

describe("merging applies", () => {
  let merged: string;
  const delivery = "merge-delivery-1";
  it("a push to the default branch applies the reviewed plan and stores each token", async () => {
    merged = (await commit("main", { "credentials/team.yaml": GOOD })).sha;
    expect((await deliver("push", pushPayload(merged, base), { delivery })).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: merged, summary: { create: 2, update: 0, delete: 0 } });
    expect(status.last?.outcomes.map((o) => `${o.action} ${o.name} ${o.status}`)).toEqual(["create ci done", "create web done"]);
    const live = await liveCredentials();
    expect(live).toHaveLength(3);
    const tokens = await emulatorTokens();
    for (const name of ["web", "ci"]) {
      const res = await admin(`/api/credentials/${name}/token`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const body = (await res.json()) as { name: string; id: string; token: string };
      expect(body.token).toBe(tokens[body.id]);
    }
    const view = await repoView();
    const applyCheck = view.check_runs.find((run) => run.head_sha === merged && run.name === "ngrok-gitops/apply");
    expect(applyCheck).toMatchObject({ conclusion: "success" });
    // The merge applied exactly what PR #1 showed for the same credentials/ tree.
    expect(applyCheck?.output.summary).toContain("This is exactly the plan reviewed in #1");
    const audit = (await (await admin(`/api/audit?name=web`)).json()) as { entries: { action: string; sha: string; delivery: string; result: string; kind: string }[] };
    expect(audit.entries.filter((e) => e.kind === "change").map((e) => [e.action, e.sha, e.delivery, e.result])).toEqual([["create", merged, delivery, "done"]]);
    // Each change records the API call that made it, with the operation id ngrok returned.
    const change = audit.entries.find((e) => e.kind === "change") as unknown as { operation_id: string; detail: { api_calls: { method: string; status: number; operation_id: string }[] } };
    expect(change.detail.api_calls.map((c) => [c.method, c.status])).toEqual([["POST", 201]]);
    expect(change.operation_id).toMatch(/^op_/);
    expect(change.operation_id).toBe(change.detail.api_calls[0]?.operation_id);
    expect(audit.entries.filter((e) => e.kind === "token_read")).toHaveLength(1);
  });

  it("a redelivery does nothing twice", async () => {
    const res = await deliver("push", pushPayload(merged, base), { delivery });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ duplicate: true });
    const status = await settle();
    expect(status.last?.sha).toBe(merged);
    expect(status.last?.cause).toBe("push");
  });

  it("an out-of-order older push applies nothing", async () => {
    const before = (await emulatorCalls()).length;
    expect((await deliver("push", pushPayload(base, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "skipped" });
    const writes = (await emulatorCalls()).slice(before).filter((call) => call.method !== "GET");
    expect(writes).toEqual([]);
  });
});

describe("operator API", () => {
  it("needs the admin token", async () => {
    for (const path of ["/api/status", "/api/audit", "/api/credentials/web/token"]) {
      expect((await fetchPlain(path)).status).toBe(401);
      expect((await fetchPlain(path, { Authorization: "Bearer wrong" })).status).toBe(401);
    }
    expect((await fetchPlain("/api/plan", {}, "POST")).status).toBe(401);
  });

  it("404 for a token that is not stored", async () => {
    const res = await admin("/api/credentials/nothing-here/token");
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(TEST_SECRETS.NGROK_API_KEY);
  });
});

async function signFor(body: string): Promise<string> {
  const { signWebhook } = await import("../../standins/github/webhooks.js");
  return signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, body);
}

async function fetchWebhook(event: string, body: string, signature: string): Promise<Response> {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch("http://worker/webhooks/github", { method: "POST", headers: { "X-GitHub-Event": event, "X-GitHub-Delivery": "t", "X-Hub-Signature-256": signature, "Content-Type": "application/json" }, body });
}

async function fetchPlain(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Response> {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`http://worker${path}`, { method, headers });
}
