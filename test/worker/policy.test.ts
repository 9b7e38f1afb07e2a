// Repository policy and expiry through the Worker: the default branch's policy judges a PR (annotated, failing check),
// a PR that changes the policy says so and cannot loosen its own review, expired credentials are deleted, and the
// cron's drift issue lists what expires soon.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { decodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { admin, bindings, commit, deliver, freshWorld, github, liveCredentials, pullRequestPayload, repoView, settle } from "./support.js";

const POLICY = 'require:\n  - description\nacl:\n  allow:\n    - "*.example.com"\n';
const LOOSE = "require: []\n";
const GOOD = "credentials:\n  - name: web\n    description: web tunnels\n    acl: [bind:web.example.com]\n";
const BAD = "credentials:\n  - name: web\n    description: web tunnels\n    acl: [bind:evil.acme.io]\n";
const day = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let base = "";
beforeEach(async () => {
  base = (await freshWorld({ files: { "ngrok-gitops.policy.yaml": POLICY, "credentials/web.yaml": GOOD } })).base;
});

async function openPr(number: number, files: Record<string, string>) {
  const head = (await commit(`policy-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `policy-${number}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  const status = await settle();
  const view = await repoView();
  return { head, status, check: view.check_runs.find((r) => r.head_sha === head && r.name === "ngrok-gitops/plan"), comment: view.comments.find((c) => c.issue_number === number)?.body ?? "" };
}

const managedNames = async () => (await liveCredentials()).flatMap((c) => {
  const d = decodeMetadata(c.metadata);
  return d.kind === "managed" ? [d.marker.name] : [];
});

async function applyMain(files: Record<string, string | null>) {
  await commit("main", files);
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  return settle();
}

describe("policy on pull requests", () => {
  it("the default branch's policy fails the check at the spec's line, even when the PR loosens the policy", async () => {
    const { status, check, comment } = await openPr(71, { "credentials/web.yaml": BAD, "ngrok-gitops.policy.yaml": LOOSE });
    expect(status.last).toMatchObject({ cause: "pull_request", status: "invalid" });
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.annotations.map((a) => [a.path, a.start_line])).toEqual([["credentials/web.yaml", 4]]);
    expect(check?.annotations[0]?.message).toContain('"web" breaks policy acl.allow (ngrok-gitops.policy.yaml:5)');
    expect(comment).toContain("breaks policy acl.allow");
    // Nothing was applied: main's credential is the only one.
    expect(await managedNames()).toEqual([]);
  });

  it("a PR whose specs fail still shows that it changes the policy, in the comment and the check", async () => {
    const { status, check, comment } = await openPr(73, { "credentials/web.yaml": BAD, "ngrok-gitops.policy.yaml": LOOSE });
    expect(status.last).toMatchObject({ status: "invalid" });
    const note = "this pull request changes ngrok-gitops.policy.yaml (- require: description; - acl.allow: *.example.com); the default branch's policy judged this plan";
    expect(comment).toContain("The specs are invalid");
    expect(comment).toContain(note);
    expect(check?.output.summary).toContain(note);
  });

  it("a PR that changes the policy shows the change; the new rules take effect only once merged", async () => {
    const strict = `${POLICY}max_rotate_after: 90d\n`;
    const { status, check, comment } = await openPr(72, { "ngrok-gitops.policy.yaml": strict });
    expect(status.last).toMatchObject({ status: "succeeded" });
    expect(check?.conclusion).toBe("success");
    expect(comment).toContain("this pull request changes ngrok-gitops.policy.yaml (+ max_rotate_after: 90d); the default branch's policy judged this plan, and the new one takes effect once merged");
    // Merged: now web, which sets no rotate_after, breaks it, and nothing is applied.
    const merged = await applyMain({ "ngrok-gitops.policy.yaml": strict });
    expect(merged.last).toMatchObject({ status: "invalid" });
    expect(merged.last?.errors.join("\n")).toContain('"web" breaks policy max_rotate_after');
    expect(await managedNames()).toEqual([]);
  });
});

describe("deliver.allow", () => {
  const DELIVER_POLICY = `${POLICY}deliver:\n  allow:\n    - "acme/site:NGROK_*"\n`;
  const delivering = (name: string) => `${GOOD}    deliver:\n      - github_actions_secret: {repo: acme/site, name: ${name}}\n`;

  it("the base branch's deliver.allow refuses an out-of-policy target at its line, even when the PR widens the allow list", async () => {
    base = (await commit("main", { "ngrok-gitops.policy.yaml": DELIVER_POLICY })).sha;
    const widened = `${POLICY}deliver:\n  allow:\n    - "acme/*:*"\n`;
    const { status, check, comment } = await openPr(73, { "credentials/web.yaml": delivering("PROD_DB_PASSWORD"), "ngrok-gitops.policy.yaml": widened });
    expect(status.last).toMatchObject({ cause: "pull_request", status: "invalid" });
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.annotations.map((a) => [a.path, a.start_line])).toEqual([["credentials/web.yaml", 6]]);
    expect(check?.annotations[0]?.message).toContain('"web" breaks policy deliver.allow (ngrok-gitops.policy.yaml:8): delivers to acme/site:PROD_DB_PASSWORD, which falls under no allowed pattern (acme/site:NGROK_*)');
    expect(status.last?.errors.join("\n")).toContain("credentials/web.yaml:6:");
    expect(comment).toContain("breaks policy deliver.allow");
  });

  it("a target the policy allows plans as usual, and on the default branch an out-of-policy one applies nothing", async () => {
    base = (await commit("main", { "ngrok-gitops.policy.yaml": DELIVER_POLICY })).sha;
    const narrowed = `${POLICY}deliver:\n  allow:\n    - "acme/site:NGROK_AUTHTOKEN"\n`;
    const { status, check, comment } = await openPr(74, { "credentials/web.yaml": delivering("NGROK_AUTHTOKEN"), "ngrok-gitops.policy.yaml": narrowed });
    expect(status.last).toMatchObject({ status: "succeeded" });
    expect(check?.conclusion).toBe("success");
    expect(status.last?.plan_text).toContain("> deliver web -> acme/site:NGROK_AUTHTOKEN");
    // A PR's change to deliver.allow is shown; it judges only once merged.
    expect(comment).toContain("this pull request changes ngrok-gitops.policy.yaml (- deliver.allow: acme/site:NGROK_*; + deliver.allow: acme/site:NGROK_AUTHTOKEN)");
    const applied = await applyMain({ "credentials/web.yaml": delivering("PROD_DB_PASSWORD") });
    // Judged by main's own policy: nothing applied, nothing delivered.
    expect(applied.last).toMatchObject({ status: "invalid" });
    expect(applied.last?.errors.join("\n")).toContain('credentials/web.yaml:6:9: credentials[0].deliver[0]: "web" breaks policy deliver.allow');
    expect(await managedNames()).toEqual([]);
  });
});

describe("expiry in the Worker", () => {
  it("a credential past its expires is deleted (expired) and never created again", async () => {
    expect((await applyMain({})).last).toMatchObject({ status: "succeeded" });
    expect(await managedNames()).toEqual(["web"]);
    const expired = await applyMain({ "credentials/web.yaml": `${GOOD}    expires: 2000-01-01\n` });
    expect(expired.last?.outcomes.map((o) => `${o.action} ${o.name} ${o.status}`)).toEqual(["delete web done"]);
    const audit = (await (await admin("/api/audit?name=web&kind=change")).json()) as { entries: { action: string; detail: { reason?: string } }[] };
    expect(audit.entries[0]).toMatchObject({ action: "delete", detail: { reason: "expired" } });
    expect(await managedNames()).toEqual([]);
    expect((await applyMain({})).last?.outcomes).toEqual([]);
  });

  it("the cron's drift issue lists what expires within EXPIRY_WARNING, so owners renew in time", async () => {
    const soon = isoDate(Date.now() + 3 * day);
    expect((await applyMain({ "credentials/web.yaml": `${GOOD}    expires: ${soon}\n` })).last).toMatchObject({ status: "succeeded" });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    await settle();
    const issues = (await repoView() as unknown as { issues: { state: string; body: string }[] }).issues.filter((i) => i.state === "open");
    expect(issues).toHaveLength(1);
    expect(issues[0]?.body).toContain("Expiring soon");
    expect(issues[0]?.body).toContain("web");
    expect(issues[0]?.body).toContain(soon);
  });
});
