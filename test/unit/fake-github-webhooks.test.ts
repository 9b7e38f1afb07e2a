// Webhook builders produce GitHub-shaped push / pull_request / ping payloads, signed so @octokit/webhooks verifies them.
import { Webhooks } from "@octokit/webhooks";
import { describe, expect, it } from "vitest";
import { createFakeGitHub } from "../../standins/github/app.js";
import { buildDelivery, buildPingEvent, buildPullRequestEvent, buildPushEvent, signWebhook, ZERO_SHA } from "../../standins/github/webhooks.js";

const SECRET = "It's a Secret to Everybody";
const A = "a".repeat(40);
const B = "b".repeat(40);

describe("signWebhook", () => {
  it("matches GitHub's documented example signature", async () => {
    // From docs.github.com "Validating webhook deliveries".
    expect(await signWebhook(SECRET, "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("is verified by @octokit/webhooks, and a changed body or secret is not", async () => {
    const webhooks = new Webhooks({ secret: SECRET });
    const delivery = await buildDelivery("push", buildPushEvent({ repository: "acme/infra", ref: "main", before: A, after: B }), SECRET);
    const signature = delivery.headers["x-hub-signature-256"] ?? "";
    expect(await webhooks.verify(delivery.body, signature)).toBe(true);
    expect(await webhooks.verify(delivery.body.replace("acme", "evil"), signature)).toBe(false);
    expect(await webhooks.verify(delivery.body, await signWebhook("other secret", delivery.body))).toBe(false);
    expect(delivery.headers).toMatchObject({ "x-github-event": "push", "content-type": "application/json" });
    expect(delivery.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("payload builders", () => {
  it("builds a push from a fake commit, with added/modified/removed and the head commit", async () => {
    const fake = createFakeGitHub({ repos: [{ fullName: "acme/infra", files: { "credentials/a.yaml": "a: 1\n", "credentials/b.yaml": "b\n" } }] });
    await fake.ready;
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    const commit = await fake.state.commit(repo, { branch: "main", files: { "credentials/a.yaml": "a: 2\n", "credentials/b.yaml": null, "credentials/c.yaml": "c\n" } });
    const push = buildPushEvent({
      repository: { fullName: "acme/infra", id: repo.id },
      ref: commit.branch,
      before: commit.before,
      after: commit.sha,
      commits: [{ id: commit.sha, treeId: commit.tree, added: commit.added, modified: commit.modified, removed: commit.removed }],
      installationId: 7,
    });
    expect(push).toMatchObject({
      ref: "refs/heads/main",
      before: commit.before,
      after: commit.sha,
      created: false,
      deleted: false,
      repository: { id: repo.id, name: "infra", full_name: "acme/infra", owner: { login: "acme" }, default_branch: "main" },
      pusher: { name: "acme" },
      sender: { login: "acme" },
      installation: { id: 7 },
      head_commit: { id: commit.sha, added: ["credentials/c.yaml"], modified: ["credentials/a.yaml"], removed: ["credentials/b.yaml"] },
    });
    expect(typeof push.repository.created_at).toBe("number");
    expect(buildPushEvent({ repository: "acme/infra", ref: "main", before: ZERO_SHA, after: B }).created).toBe(true);
  });

  it("builds pull_request opened / synchronize / reopened / closed", () => {
    const base = { repository: "acme/infra", number: 12, head: { sha: B, ref: "change" }, base: { sha: A, ref: "main" }, installationId: 7 };
    const opened = buildPullRequestEvent({ ...base, action: "opened" });
    expect(opened).toMatchObject({
      action: "opened",
      number: 12,
      pull_request: { number: 12, state: "open", head: { sha: B, ref: "change", repo: { full_name: "acme/infra" } }, base: { ref: "main", sha: A } },
      installation: { id: 7 },
    });
    expect(buildPullRequestEvent({ ...base, action: "synchronize", before: A })).toMatchObject({ action: "synchronize", before: A, after: B });
    expect(buildPullRequestEvent({ ...base, action: "reopened" }).pull_request.state).toBe("open");
    const closed = buildPullRequestEvent({ ...base, action: "closed", merged: true });
    expect(closed.pull_request).toMatchObject({ state: "closed", merged: true });
    const fork = buildPullRequestEvent({ ...base, action: "opened", head: { sha: B, ref: "change", repository: "mallory/infra" } });
    expect(fork.pull_request.head).toMatchObject({ label: "mallory:change", repo: { full_name: "mallory/infra", fork: true } });
  });

  it("builds pull_request edited as GitHub sends it: changes.base.ref.from and .sha.from when retargeted", () => {
    const base = { repository: "acme/infra", number: 12, head: { sha: B, ref: "change" }, base: { sha: A, ref: "main" } };
    const retargeted = buildPullRequestEvent({ ...base, action: "edited", changes: { base: { ref: "legacy", sha: B } } });
    expect(retargeted).toMatchObject({ action: "edited", changes: { base: { ref: { from: "legacy" }, sha: { from: B } } }, pull_request: { base: { ref: "main", sha: A } } });
    expect(buildPullRequestEvent({ ...base, action: "edited", changes: { title: "old" } })).toMatchObject({ changes: { title: { from: "old" } } });
    expect(buildPullRequestEvent({ ...base, action: "edited", changes: { title: "old" } })).not.toHaveProperty("changes.base");
  });

  it("builds a ping", () => {
    expect(buildPingEvent({ hookId: 5, repository: "acme/infra" })).toMatchObject({ hook_id: 5, zen: expect.any(String), hook: { id: 5, active: true }, repository: { full_name: "acme/infra" } });
  });
});
