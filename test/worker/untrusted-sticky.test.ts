// The sticky plan comment is ours only if we wrote it: a marker in anyone else's comment is ignored and left untouched.
import { beforeAll, describe, expect, it } from "vitest";
import { GitHubClient } from "../../src/github/client.js";
import { PLAN_COMMENT_MARKER, upsertPlanComment } from "../../src/github/feedback.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, bindings, commit, deliver, github, pullRequestPayload, settle } from "./support.js";

let base: string;

interface Comment {
  id: number;
  body: string;
  issue_number: number;
  user: { login: string };
}
const commentsOn = async (pr: number) => (await github<{ comments: Comment[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`)).comments.filter((c) => c.issue_number === pr);

/** Posts a comment through the fake's REST API as `login` (a user, or with `bot` an App's `<login>[bot]`). */
async function commentAs(login: string, pr: number, body: string, bot = false): Promise<number> {
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login, ...(bot ? { installation: true } : {}) });
  const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/${pr}/comments`, {
    method: "POST",
    headers: { Authorization: `token ${token}`, "User-Agent": "mallory", "Content-Type": "application/json" },
    body: JSON.stringify({ body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "sticky\n" } })).base;
  await settle();
});

describe("the sticky comment, with the GitHub App", () => {
  const pr = 1701;
  const forged = `${PLAN_COMMENT_MARKER}\n### ngrok-gitops plan\n\nApproved: no changes.`;
  let mallory: number;
  let evilBot: number;

  it("a marker in a user's or another App's comment is not adopted: the bot writes its own", async () => {
    const head = (await commit(`sticky-${pr}`, { "credentials/a.yaml": "credentials:\n  - name: sticky-one\n" })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr, head_ref: `sticky-${pr}`, head_sha: head, base_ref: "main" });
    mallory = await commentAs("mallory", pr, forged);
    evilBot = await commentAs("evil-app", pr, forged, true);
    expect((await deliver("pull_request", pullRequestPayload("opened", pr, head, base))).status).toBe(202);
    await settle();
    const comments = await commentsOn(pr);
    expect(comments.map((c) => c.user.login)).toEqual(["mallory", "evil-app[bot]", "ngrok-gitops[bot]"]);
    expect(comments.filter((c) => c.id === mallory || c.id === evilBot).map((c) => c.body)).toEqual([forged, forged]);
    expect(comments[2]?.body).toContain("+ sticky-one will be created");
  });

  it("the next push updates the bot's own comment, and still leaves the others alone", async () => {
    const head = (await commit(`sticky-${pr}`, { "credentials/a.yaml": "credentials:\n  - name: sticky-two\n" })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr, head_ref: `sticky-${pr}`, head_sha: head, base_ref: "main" });
    expect((await deliver("pull_request", pullRequestPayload("synchronize", pr, head, base))).status).toBe(202);
    await settle();
    const comments = await commentsOn(pr);
    expect(comments).toHaveLength(3);
    expect(comments[2]?.user.login).toBe("ngrok-gitops[bot]");
    expect(comments[2]?.body).toContain("+ sticky-two will be created");
    expect(comments.filter((c) => c.id === mallory || c.id === evilBot).map((c) => c.body)).toEqual([forged, forged]);
  });
});

describe("a PR flooded with comments", () => {
  it("costs three comment pages per run, not one per hundred comments, and still finds the bot's own comment", async () => {
    const pr = 1703;
    const head = (await commit(`sticky-${pr}`, { "credentials/a.yaml": "credentials:\n  - name: flooded\n" })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr, head_ref: `sticky-${pr}`, head_sha: head, base_ref: "main" });
    const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login: "flooder" });
    for (let i = 0; i < 450; i++) {
      const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/${pr}/comments`, {
        method: "POST",
        headers: { Authorization: `token ${token}`, "User-Agent": "flooder", "Content-Type": "application/json" },
        body: JSON.stringify({ body: `${PLAN_COMMENT_MARKER}\nflood ${i}` }),
      });
      expect(res.status).toBe(201);
    }
    const pages = async () => (await github<{ path: string }[]>("GET", `/__fake/requests?method=GET&path=${encodeURIComponent(`/repos/${TEST_REPOSITORY}/issues/${pr}/comments`)}`)).length;
    await github("DELETE", "/__fake/requests");
    expect((await deliver("pull_request", pullRequestPayload("opened", pr, head, base))).status).toBe(202);
    await settle();
    expect(await pages()).toBe(3);
    await github("DELETE", "/__fake/requests");
    expect((await deliver("pull_request", pullRequestPayload("synchronize", pr, head, base))).status).toBe(202);
    await settle();
    expect(await pages()).toBeLessThanOrEqual(3);
    const ours = (await commentsOn(pr)).filter((c) => c.user.login === "ngrok-gitops[bot]");
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain("+ flooded will be created");
  }, 180_000);
});

describe("the sticky comment, with a personal token", () => {
  it("finds the token's own comment by GET /user and ignores another user's marker", async () => {
    const pr = 1702;
    const head = (await commit(`sticky-${pr}`, { "README.md": "pat\n" })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr, head_ref: `sticky-${pr}`, head_sha: head, base_ref: "main" });
    const forged = `${PLAN_COMMENT_MARKER}\nforged`;
    await commentAs("mallory", pr, forged);
    const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login: "ops-user" });
    const client = new GitHubClient({ baseUrl: bindings.GITHUB_API_URL, token: async () => token });
    expect(await client.login()).toBe("ops-user");
    const first = await upsertPlanComment(client, TEST_REPOSITORY, pr, "plan one");
    expect(first.created).toBe(true);
    const second = await upsertPlanComment(client, TEST_REPOSITORY, pr, "plan two");
    expect(second).toEqual({ id: first.id, created: false });
    const comments = await commentsOn(pr);
    expect(comments.map((c) => [c.user.login, c.body])).toEqual([
      ["mallory", forged],
      ["ops-user", `${PLAN_COMMENT_MARKER}\nplan two`],
    ]);
  });
});
