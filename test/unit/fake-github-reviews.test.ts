// The fake GitHub's reviews, commit → pull requests and team memberships answer as GitHub documents them.
import { beforeEach, describe, expect, it } from "vitest";
import { createFakeGitHub, type FakeGitHub } from "../../standins/github/app.js";
import { mergePullRequest } from "../../standins/github/merge.js";
import { call } from "../../standins/github/test-helpers.js";

const REPO = "acme/infra";
let fake: FakeGitHub;
let head: string;

beforeEach(async () => {
  fake = createFakeGitHub({ tokens: [{ token: "author-token", login: "author" }, { token: "rev-token", login: "reviewer" }, { token: "bot-token", installation: true }] });
  await fake.state.createRepo({ fullName: REPO, files: { "README.md": "x\n" } });
  const repo = fake.state.repo("acme", "infra");
  if (!repo) throw new Error("no repo");
  head = (await fake.state.commit(repo, { branch: "pr-1", files: { "credentials/a.yaml": "credentials: []\n" } })).sha;
  fake.state.upsertPullRequest(repo, { number: 1, head_ref: "pr-1", user: "author" });
});

describe("pull request reviews", () => {
  it("creates reviews on the head by default, lists them oldest first with commit_id and state, and sends pull_request_review", async () => {
    const approve = await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "rev-token", body: { event: "APPROVE" } });
    expect(approve.status).toBe(200);
    expect(approve.json).toMatchObject({ state: "APPROVED", commit_id: head, user: { login: "reviewer" } });
    await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "rev-token", body: { event: "COMMENT", body: "nice" } });
    // A pending review (no event) is not listed, nor sent.
    await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "rev-token", body: {} });
    const list = await call(fake, "GET", `/repos/${REPO}/pulls/1/reviews`, { token: "bot-token" });
    expect((list.json as { state: string; commit_id: string }[]).map((r) => r.state)).toEqual(["APPROVED", "COMMENTED"]);
    const sent = (await call(fake, "GET", "/__fake/webhooks")).json as { event: string; payload: { action: string; review: { state: string }; pull_request: { number: number } } }[];
    expect(sent.map((w) => [w.event, w.payload.action, w.payload.review.state, w.payload.pull_request.number])).toEqual([
      ["pull_request_review", "submitted", "APPROVED", 1],
      ["pull_request_review", "submitted", "COMMENTED", 1],
    ]);
  });

  it("refuses an author's approval of their own pull request (422), and a comment without a body", async () => {
    expect((await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "author-token", body: { event: "APPROVE" } })).status).toBe(422);
    expect((await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "rev-token", body: { event: "REQUEST_CHANGES" } })).status).toBe(422);
  });

  it("accepts an approval after the merge, on the merged head, and sends pull_request_review with the merged pull request", async () => {
    // GitHub's API allows reviewing a merged pull request (cli/cli#5038: "it's explicitly allowed by the API"); the Worker relies on it to release a held merge.
    const merged = await mergePullRequest(fake, REPO, 1);
    await call(fake, "GET", "/__fake/webhooks?clear");
    const approve = await call(fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "rev-token", body: { event: "APPROVE" } });
    expect(approve.status, approve.text).toBe(200);
    expect(approve.json).toMatchObject({ state: "APPROVED", commit_id: head });
    const sent = (await call(fake, "GET", "/__fake/webhooks")).json as { payload: { pull_request: { state: string; merged: boolean; merge_commit_sha: string } } }[];
    expect(sent.map((w) => w.payload.pull_request)).toMatchObject([{ state: "closed", merged: true, merge_commit_sha: merged.commit.sha }]);
  });
});

describe("pull requests of a commit", () => {
  it("lists the open pull request of a head commit, then after the merge the merged one for its merge commit", async () => {
    const open = await call(fake, "GET", `/repos/${REPO}/commits/${head}/pulls`, { token: "bot-token" });
    expect((open.json as { number: number }[]).map((p) => p.number)).toEqual([1]);
    const merged = await mergePullRequest(fake, REPO, 1);
    const pulls = await call(fake, "GET", `/repos/${REPO}/commits/${merged.commit.sha}/pulls`, { token: "bot-token" });
    expect(pulls.json).toMatchObject([{ number: 1, merged: true, merge_commit_sha: merged.commit.sha, user: { login: "author" } }]);
    const repo = fake.state.repo("acme", "infra");
    const direct = await fake.state.commit(repo as NonNullable<typeof repo>, { branch: "main", files: { "b.txt": "b" } });
    expect((await call(fake, "GET", `/repos/${REPO}/commits/${direct.sha}/pulls`, { token: "bot-token" })).json).toEqual([]);
  });
});

describe("team memberships", () => {
  it("answers 200 with role and state for a member, 404 otherwise", async () => {
    await call(fake, "POST", "/__fake/orgs/acme/teams", { body: { slug: "team-a", members: ["alice", { login: "bob", state: "pending" }] } });
    expect((await call(fake, "GET", "/orgs/acme/teams/team-a/memberships/alice", { token: "bot-token" })).json).toMatchObject({ role: "member", state: "active" });
    expect((await call(fake, "GET", "/orgs/acme/teams/team-a/memberships/bob", { token: "bot-token" })).json).toMatchObject({ state: "pending" });
    expect((await call(fake, "GET", "/orgs/acme/teams/team-a/memberships/carol", { token: "bot-token" })).status).toBe(404);
    expect((await call(fake, "GET", "/orgs/acme/teams/nope/memberships/alice", { token: "bot-token" })).status).toBe(404);
  });
});

describe("collaborator permissions and issue comments", () => {
  it("answers a user's permission: the owner admin, a collaborator by role (maintain reports as write), others none on a private one (this one), an unknown login 404", async () => {
    await call(fake, "POST", `/__fake/repos/${REPO}/collaborators`, { body: { login: "mia", role: "maintain" } });
    await call(fake, "POST", `/__fake/repos/${REPO}/collaborators`, { body: { login: "tom", role: "triage" } });
    const of = async (user: string) => (await call(fake, "GET", `/repos/${REPO}/collaborators/${user}/permission`, { token: "bot-token" })).json as { permission: string; role_name: string };
    expect(await of("acme")).toMatchObject({ permission: "admin", role_name: "admin" });
    expect(await of("mia")).toMatchObject({ permission: "write", role_name: "maintain" });
    expect(await of("tom")).toMatchObject({ permission: "read", role_name: "triage" });
    expect(await of("reviewer")).toMatchObject({ permission: "none" });
    expect((await call(fake, "GET", `/repos/${REPO}/collaborators/nobody-at-all/permission`, { token: "bot-token" })).status).toBe(404);
  });

  it("a new comment on a pull request sends issue_comment created, with issue.pull_request and the commenter as sender", async () => {
    expect((await call(fake, "POST", `/repos/${REPO}/issues/1/comments`, { token: "rev-token", body: { body: "/ngrok-gitops plan" } })).status).toBe(201);
    const sent = (await call(fake, "GET", "/__fake/webhooks")).json as { event: string; payload: { action: string; issue: { number: number; pull_request?: unknown }; comment: { body: string }; sender: { login: string; type: string } } }[];
    expect(sent.map((w) => [w.event, w.payload.action, w.payload.issue.number, w.payload.issue.pull_request !== undefined, w.payload.comment.body, w.payload.sender.login])).toEqual([["issue_comment", "created", 1, true, "/ngrok-gitops plan", "reviewer"]]);
  });
});
