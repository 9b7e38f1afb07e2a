// The sticky comment is found again however many comments surround it: the run remembers its id (GitHub lists comments oldest first, 100 a page).
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { bindings, commit, deliver, freshWorld, github, pullRequestPayload, settle } from "./support.js";

const PR = 2206;
const BOT = "ngrok-gitops[bot]";
let base = "";
let token = "";

interface Comment {
  id: number;
  body: string;
  issue_number: number;
  user: { login: string };
}
const commentsOn = async () => (await github<{ comments: Comment[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`)).comments.filter((c) => c.issue_number === PR);

/** `count` comments by a user through the REST API, a few at a time. */
async function flood(count: number, label: string): Promise<void> {
  const post = (i: number) =>
    fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/${PR}/comments`, {
      method: "POST",
      headers: { Authorization: `token ${token}`, "User-Agent": "chatty", "Content-Type": "application/json" },
      body: JSON.stringify({ body: `${label} ${i}` }),
    }).then((res) => expect(res.status).toBe(201));
  for (let i = 0; i < count; i += 25) await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => post(i + j)));
}

async function plan(action: "opened" | "synchronize", files: Record<string, string>): Promise<void> {
  const head = (await commit(`deep-${PR}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: PR, head_ref: `deep-${PR}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload(action, PR, head, base))).status).toBe(202);
  await settle();
}

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "deep\n" } })).base;
  token = (await github<{ token: string }>("POST", "/__fake/tokens", { login: "chatty" })).token;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: PR, head_ref: "main", head_sha: base, base_ref: "main" });
});

describe("a pull request with hundreds of comments", () => {
  it("keeps one plan comment when ours sits on page 2 of 6, far from both ends", async () => {
    // 150 comments before the first plan (the deployment came later): ours is the 151st, on page 2.
    await flood(150, "before");
    await plan("opened", { "credentials/a.yaml": "credentials:\n  - name: deep-one\n" });
    const first = (await commentsOn()).filter((c) => c.user.login === BOT);
    expect(first).toHaveLength(1);
    // 400 more: 551 comments, six pages of 100, ours neither on the first nor on the last two.
    await flood(400, "after");
    await plan("synchronize", { "credentials/a.yaml": "credentials:\n  - name: deep-two\n" });
    const ours = (await commentsOn()).filter((c) => c.user.login === BOT);
    expect(ours.map((c) => c.id)).toEqual([first[0]?.id]);
    expect(ours[0]?.body).toContain("+ deep-two will be created");
  }, 180_000);

  it("a remembered comment that was deleted is replaced by one new comment, which is then kept", async () => {
    const [ours] = (await commentsOn()).filter((c) => c.user.login === BOT);
    const { token: admin } = await github<{ token: string }>("POST", "/__fake/tokens", { login: "acme" });
    const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/comments/${ours?.id}`, { method: "DELETE", headers: { Authorization: `token ${admin}`, "User-Agent": "acme" } });
    expect(res.status).toBe(204);
    await plan("synchronize", { "credentials/a.yaml": "credentials:\n  - name: deep-three\n" });
    await plan("synchronize", { "credentials/a.yaml": "credentials:\n  - name: deep-four\n" });
    const now = (await commentsOn()).filter((c) => c.user.login === BOT);
    expect(now).toHaveLength(1);
    expect(now[0]?.id).not.toBe(ours?.id);
    expect(now[0]?.body).toContain("+ deep-four will be created");
  });
});
