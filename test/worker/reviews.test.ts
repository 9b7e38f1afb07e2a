// Only reviewed changes reach ngrok: under `review:` an apply needs the merged pull request's approvals, from the owners of each changed credential.
import { createExecutionContext, createScheduledController, SELF, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { admin, bindings, commit, deliver, emulator, freshWorld, github, liveCredentials, mergePullRequest, openPullRequest, pullRequestPayload, pushPayload, repoView, settle, userToken } from "./support.js";

const POLICY = "review:\n  approvals: 1\n";
const CODEOWNERS = "* @lead\n/credentials/team-a/ @acme/team-a\n";
const spec = (name: string, description = name) => `credentials:\n  - name: ${name}\n    description: ${description}\n`;

/** A GitHub user of the stand-in, who can review (a token of their own). */
const as = userToken;

async function review(pr: number, login: string, event: "APPROVE" | "REQUEST_CHANGES" | "COMMENT", commitId?: string): Promise<void> {
  const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/pulls/${pr}/reviews`, {
    method: "POST",
    headers: { Authorization: `token ${await as(login)}`, "User-Agent": "reviews-test", "Content-Type": "application/json" },
    body: JSON.stringify({ event, ...(event !== "APPROVE" ? { body: "see above" } : {}), ...(commitId ? { commit_id: commitId } : {}) }),
  });
  if (!res.ok) throw new Error(`review: ${res.status} ${await res.text()}`);
}

let main: string;
let branches = 0;

/** Opens a pull request by `author` with `files` on its own branch; returns it with its head. */
const open = (author: string, files: Record<string, string | null>) => openPullRequest(author, `review-${++branches}`, files);

/** Merges it as GitHub does (a commit on main with the head's tree, recorded as the pull request's merge commit) and delivers the push. */
async function merge(pr: { number: number; branch: string }, files: Record<string, string | null>) {
  return push(await mergePullRequest(pr, files));
}

async function push(sha: string) {
  const before = main;
  main = sha;
  expect((await deliver("push", pushPayload(sha, before))).status).toBe(202);
  return settle();
}

const names = async () => (await liveCredentials()).map((c) => c.description).sort();
const commentOf = async (pr: number) => (await repoView()).comments.filter((c) => c.issue_number === pr);
const checkOf = async (sha: string) => (await repoView()).check_runs.find((run) => run.head_sha === sha && run.name === "ngrok-gitops/apply");

beforeAll(async () => {
  main = (await freshWorld({ files: { "README.md": "reviews\n", "ngrok-gitops.policy.yaml": POLICY, ".github/CODEOWNERS": CODEOWNERS } })).base;
  await github("POST", "/__fake/orgs", { login: "acme" });
  await github("POST", "/__fake/orgs/acme/teams", { slug: "team-a", members: ["alice"] });
});

describe("an apply only applies reviewed changes", () => {
  it("a direct push with no pull request applies nothing, and says so on the commit's check and in /api/status", async () => {
    const sha = (await commit("main", { "credentials/shared.yaml": spec("direct") })).sha;
    const status = await push(sha);
    expect(status.last?.status).toBe("held");
    expect(status.last?.errors.join("\n")).toContain("without a merged pull request");
    expect(await names()).toEqual([]);
    const check = await checkOf(sha);
    expect(check?.conclusion).toBe("action_required");
    expect(check?.output.summary).toContain("`direct`");
    expect(check?.output.summary).toContain("@lead");
    const api = (await (await admin("/api/status")).json()) as { held: { sha: string } | null; reviews: string };
    expect(api.held?.sha).toBe(sha);
    expect(api.reviews).toContain("enforced: 1 approval");
    expect(await (await SELF.fetch("http://worker/healthz")).json()).toMatchObject({ ok: true, reviews: expect.stringContaining("enforced: 1 approval") });
  });

  it("a pull request's plan says who must approve it: the approvals needed and each changed credential's owners", async () => {
    const pr = await open("bob", { "credentials/team-a/ci.yaml": spec("team-a-ci", "planned") });
    expect((await deliver("pull_request", pullRequestPayload("opened", pr.number, pr.head, main))).status).toBe(202);
    await settle();
    const comment = (await repoView()).comments.find((c) => c.issue_number === pr.number);
    expect(comment?.body).toContain("applied only with 1 approval that counts");
    expect(comment?.body).toContain("team-a-ci (credentials/team-a/ci.yaml): @acme/team-a");
    // Closed unmerged: it plays no part in what follows.
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr.number, head_ref: pr.branch, state: "closed" });
  });

  it("a review updates the plan's comment and check: the approvals so far (who, on which commit) and, per credential, which owner approved", async () => {
    const pr = await open("bob", { "credentials/team-a/ci.yaml": spec("team-a-ci", "reviewed while open"), "credentials/shared.yaml": spec("shared-open") });
    expect((await deliver("pull_request", pullRequestPayload("opened", pr.number, pr.head, main))).status).toBe(202);
    await settle();
    const planCheck = async () => (await repoView()).check_runs.filter((run) => run.head_sha === pr.head && run.name === "ngrok-gitops/plan").at(-1)?.output.summary ?? "";
    const before = (await commentOf(pr.number))[0]?.body ?? "";
    expect(before).toContain("approvals so far: 0 of 1");
    expect(before).toContain("team-a-ci (credentials/team-a/ci.yaml): @acme/team-a, no owner's approval yet");
    expect(await planCheck()).toContain("approvals so far: 0 of 1");
    // alice (of @acme/team-a) approves on GitHub: the stand-in sends pull_request_review, which plans the head again.
    await github("GET", "/__fake/webhooks?clear");
    await review(pr.number, "alice", "APPROVE");
    const sent = await github<{ event: string; delivery: string; payload: unknown }[]>("GET", "/__fake/webhooks?clear");
    expect(sent.map((w) => w.event)).toEqual(["pull_request_review"]);
    for (const w of sent) expect((await deliver(w.event, w.payload, { delivery: w.delivery })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ cause: "pull_request", sha: pr.head });
    const comments = await commentOf(pr.number);
    expect(comments).toHaveLength(1);
    for (const text of [comments[0]?.body ?? "", await planCheck()]) {
      expect(text).toContain(`approvals so far: 1 of 1 (@alice on ${pr.head.slice(0, 7)}, this head's credentials/ and policy)`);
      expect(text).toContain("team-a-ci (credentials/team-a/ci.yaml): @acme/team-a, approved by @alice");
      // alice is not @lead: the other credential still waits for its owner.
      expect(text).toContain("shared-open (credentials/shared.yaml): @lead, no owner's approval yet");
    }
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr.number, head_ref: pr.branch, state: "closed" });
  });

  it("an approval from someone who owns neither the file nor its team holds a team's credential, naming the team", async () => {
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci") };
    const pr = await open("bob", files);
    await review(pr.number, "carol", "APPROVE");
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("held");
    expect(status.last?.errors.join("\n")).toContain("team-a-ci (credentials/team-a/ci.yaml) needs an approval from @acme/team-a");
    expect(await names()).toEqual([]);
    const check = await checkOf(main);
    expect(check?.conclusion).toBe("action_required");
    expect(check?.output.summary).toMatch(/`team-a-ci` \| `credentials\/team-a\/ci\.yaml` \| @acme\/team-a/);
    // The merged pull request's comment says so: Held, the run, and whose approval is missing.
    const comments = await commentOf(pr.number);
    expect(status.last?.errors.join("\n")).not.toContain("outcome was not written");
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("### Held");
    expect(comments[0]?.body).toContain(`run ${status.last?.id} `);
    expect(comments[0]?.body).toMatch(/`team-a-ci` \| `credentials\/team-a\/ci\.yaml` \| @acme\/team-a/);
  });

  it("an owner's approval (a member of the owning team) applies it, and supersedes what was held", async () => {
    // It also removes the direct push's file: that credential (owned by @lead) is then no change of this commit.
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "team a ci"), "credentials/shared.yaml": null };
    const pr = await open("bob", files);
    expect((await deliver("pull_request", pullRequestPayload("opened", pr.number, pr.head, main))).status).toBe(202);
    await settle();
    await review(pr.number, "alice", "APPROVE");
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("succeeded");
    expect(status.last?.errors).toEqual([]);
    expect(await names()).toEqual(["team a ci"]);
    // The plan's sticky comment gains the Applied section under the plan: the counts and the run.
    const comments = await commentOf(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("applied only with 1 approval that counts");
    expect(comments[0]?.body).toContain("### Applied");
    expect(comments[0]?.body).toContain(`1 created, 0 updated, 0 replaced, 0 deleted. run ${status.last?.id} `);
    expect(comments[0]?.body).not.toContain("Not applied");
    expect(((await (await admin("/api/status")).json()) as { held: unknown }).held).toBeNull();
  });

  it("a service user or API key needs its file's owners too: a non-owner's approval holds it, an owner's applies it", async () => {
    const bots = "service_users:\n  - name: team-a-bot\napi_keys:\n  - name: team-a-deploy\n    description: deploys\n    owner: team-a-bot\n";
    const files = { "credentials/team-a/bots.yaml": bots };
    const pr = await open("bob", files);
    await review(pr.number, "carol", "APPROVE");
    const held = await merge(pr, files);
    expect(held.last?.status).toBe("held");
    const errors = held.last?.errors.join("\n") ?? "";
    expect(errors).toContain("service_users/team-a-bot (credentials/team-a/bots.yaml) needs an approval from @acme/team-a");
    expect(errors).toContain("api_keys/team-a-deploy (credentials/team-a/bots.yaml) needs an approval from @acme/team-a");
    const users = async () => ((await emulator("GET", "/service_users")) as { service_users: { name: string }[] }).service_users;
    expect(await users()).toEqual([]);
    // The owner approves the merged pull request: the held merge is checked again and applied.
    await github("GET", "/__fake/webhooks?clear");
    await review(pr.number, "alice", "APPROVE");
    const sent = await github<{ event: string; delivery: string; payload: unknown }[]>("GET", "/__fake/webhooks?clear");
    for (const w of sent) expect((await deliver(w.event, w.payload, { delivery: w.delivery })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded", sha: main });
    expect((await users()).map((u) => u.name.split(" ")[0])).toEqual(["team-a-bot"]);
  });

  it("an approval voided by a later push to the pull request holds", async () => {
    const pr = await open("bob", { "credentials/team-a/ci.yaml": spec("team-a-ci", "approved text") });
    await review(pr.number, "alice", "APPROVE");
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "pushed after the approval") };
    await commit(pr.branch, files);
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("held");
    expect(status.last?.errors.join("\n")).toMatch(/@alice approved [0-9a-f]{7}, whose credentials\/ or policy differ/);
    expect(await names()).toEqual(["team a ci"]);
  });

  it("meanwhile the cron corrects drift toward the last applied reviewed commit, not the held one, and the drift issue names the held commit", async () => {
    const applied = ((await (await admin("/api/status")).json()) as { last_applied: { sha: string } }).last_applied.sha;
    const live = (await liveCredentials())[0];
    await emulator("PATCH", `/credentials/${live?.id}`, { description: "edited by hand" });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "cron", status: "succeeded", sha: applied });
    expect(await names()).toEqual(["team a ci"]);
    const issues = (await github<{ issues: { state: string; body: string }[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`)).issues;
    expect(issues.find((i) => i.state === "open" && i.body.includes("### Held commit"))?.body).toContain(main.slice(0, 7));
  });

  it("a GitHub outage while checking reviews holds the commit (never applies unverified)", async () => {
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "during the outage") };
    const pr = await open("bob", files);
    await review(pr.number, "alice", "APPROVE");
    await github("POST", "/__fake/faults", { method: "GET", path: `/repos/${TEST_REPOSITORY}/pulls/${pr.number}/reviews`, status: 502 });
    try {
      const status = await merge(pr, files);
      expect(status.last?.status).toBe("held");
      expect(status.last?.errors.join("\n")).toContain("reviews could not be verified");
      expect(await names()).toEqual(["team a ci"]);
    } finally {
      await github("DELETE", "/__fake/faults");
    }
  });

  it("a merge whose apply fails gets a Failed section naming what was not applied and why", async () => {
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "will fail") };
    const pr = await open("bob", files);
    await review(pr.number, "alice", "APPROVE");
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "PATCH", path: "/credentials/", status: 400, times: 5 }] });
    try {
      const status = await merge(pr, files);
      expect(status.last?.status).toBe("failed");
      const body = (await commentOf(pr.number))[0]?.body ?? "";
      expect(body).toContain("### Failed");
      expect(body).toContain(`run ${status.last?.id} `);
      expect(body).toMatch(/Not applied:\n\n- update `team-a-ci`: failed \(`/);
    } finally {
      await emulator("DELETE", "/__emulator/faults");
    }
  });

  it("an operator releases the held commit: it is applied, and the release is audited with the caller", async () => {
    // A direct push: no review could ever let it through.
    expect((await push((await commit("main", { "credentials/team-a/ci.yaml": spec("team-a-ci", "released by the operator") })).sha)).last?.status).toBe("held");
    const held = ((await (await admin("/api/status")).json()) as { held: { sha: string } | null }).held;
    expect(held?.sha).toBe(main);
    // Only the held commit can be released.
    const wrong = await admin("/api/reconcile", { method: "POST", body: JSON.stringify({ release: "0".repeat(40) }), headers: { "Content-Type": "application/json", "User-Agent": "ops-cli/1.0" } });
    expect(wrong.status).toBe(409);
    const res = await admin("/api/reconcile", { method: "POST", body: JSON.stringify({ release: main }), headers: { "Content-Type": "application/json", "User-Agent": "ops-cli/1.0", "CF-Connecting-IP": "203.0.113.9" } });
    expect(res.status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "succeeded", sha: main });
    expect(await names()).toEqual(["released by the operator"]);
    const audit = (await (await admin(`/api/audit?sha=${main}`)).json()) as { entries: { action: string; result: string; actor: string; detail: { caller?: { ip: string; user_agent: string } } }[] };
    const release = audit.entries.find((e) => e.action === "release" && e.result === "queued");
    expect(release).toMatchObject({ actor: "operator", detail: { caller: { ip: "203.0.113.9", user_agent: "ops-cli/1.0" } } });
    expect(((await (await admin("/api/status")).json()) as { held: unknown }).held).toBeNull();
  });

  it("an approval submitted after the merge arrives as pull_request_review from the stand-in, and the held merge commit is checked again and applied", async () => {
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "approved after the merge") };
    const pr = await open("bob", files);
    expect((await merge(pr, files)).last?.status).toBe("held");
    await github("GET", "/__fake/webhooks?clear");
    await review(pr.number, "alice", "APPROVE");
    const sent = await github<{ event: string; delivery: string; payload: unknown }[]>("GET", "/__fake/webhooks?clear");
    expect(sent.map((w) => w.event)).toEqual(["pull_request_review"]);
    for (const w of sent) expect((await deliver(w.event, w.payload, { delivery: w.delivery })).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: main });
    expect(await names()).toEqual(["approved after the merge"]);
    // The Held section of the merge is replaced by the Applied one, in the same comment.
    const comments = await commentOf(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("### Applied");
    expect(comments[0]?.body).not.toContain("### Held");
  });

  it("a pull request that deletes review: from the policy is still judged by the standing rule of the last applied commit", async () => {
    const files = { "ngrok-gitops.policy.yaml": null, "credentials/team-a/ci.yaml": spec("team-a-ci", "reviews switched off") };
    const pr = await open("bob", files);
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("held");
    expect(status.last?.errors.join("\n")).toContain("has 0 approvals that count; the policy requires 1");
    expect(await names()).toEqual(["approved after the merge"]);
  });

  it("a pull request that breaks CODEOWNERS is told on its plan, with file, line and column", async () => {
    const pr = await open("bob", { ".github/CODEOWNERS": "* @lead\ncredentials/ owners@example.com\n", "credentials/team-a/ci.yaml": spec("team-a-ci", "with a broken CODEOWNERS") });
    expect((await deliver("pull_request", pullRequestPayload("opened", pr.number, pr.head, main))).status).toBe(202);
    await settle();
    const body = (await commentOf(pr.number))[0]?.body ?? "";
    expect(body).toContain("this pull request's .github/CODEOWNERS is invalid (.github/CODEOWNERS:2:14: \"owners@example.com\": owners by email address cannot be checked");
    expect(body).toContain("once merged, every apply is held until it is fixed");
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr.number, head_ref: pr.branch, state: "closed" });
  });

  it("an invalid CODEOWNERS on the base branch holds the commit with the file and line, never a silent 'no owners'", async () => {
    // CODEOWNERS alone changes nothing to apply (the push is skipped), but it is what the next merge is judged by.
    await push((await commit("main", { ".github/CODEOWNERS": "* @lead\n!credentials/ @acme/team-a\n" })).sha);
    const files = { "credentials/team-a/ci.yaml": spec("team-a-ci", "judged by a broken CODEOWNERS") };
    const pr = await open("bob", files);
    await review(pr.number, "alice", "APPROVE");
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("held");
    expect(status.last?.errors.join("\n")).toContain(".github/CODEOWNERS:2:1: \"!credentials/\": negation with ! does not work in CODEOWNERS");
    expect(await names()).toEqual(["approved after the merge"]);
    // The next pull request's plan says so before its merge, with the file and line.
    const next = await open("bob", { "credentials/team-a/ci.yaml": spec("team-a-ci", "planned under a broken CODEOWNERS") });
    expect((await deliver("pull_request", pullRequestPayload("opened", next.number, next.head, main))).status).toBe(202);
    await settle();
    expect((await commentOf(next.number))[0]?.body).toContain(".github/CODEOWNERS on the base branch is invalid (.github/CODEOWNERS:2:1: \"!credentials/\": negation with ! does not work in CODEOWNERS");
  });
});
