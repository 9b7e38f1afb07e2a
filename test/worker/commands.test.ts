// Pull request commands: `/ngrok-gitops plan` and `/ngrok-gitops allow-deletes` in a comment, from users with write access or owners of the changed credentials only.
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { admin, bindings, commit, deliver, freshWorld, github, liveCredentials, mergePullRequest, openPullRequest, pushPayload, repoView, settle, userToken } from "./support.js";

const LIMIT = Number(TEST_SECRETS.MAX_DELETES);
const CODEOWNERS = "* @lead\n/credentials/team-a/ @acme/team-a\n";
const many = `credentials:\n${Array.from({ length: LIMIT + 1 }, (_, i) => `  - name: old-${i}\n    description: old ${i}\n`).join("")}`;
const one = (name: string) => `credentials:\n  - name: ${name}\n    description: ${name}\n`;

const as = userToken;

/** `login` comments on the pull request on the stand-in; the issue_comment deliveries it sends are handed to the Worker. */
async function say(pr: number, login: string, body: string): Promise<Response[]> {
  await github("GET", "/__fake/webhooks?clear");
  const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/${pr}/comments`, {
    method: "POST",
    headers: { Authorization: `token ${await as(login)}`, "User-Agent": "commands-test", "Content-Type": "application/json" },
    body: JSON.stringify({ body }),
  });
  if (!res.ok) throw new Error(`comment: ${res.status} ${await res.text()}`);
  const sent = await github<{ event: string; delivery: string; payload: unknown }[]>("GET", "/__fake/webhooks?clear");
  expect(sent.map((w) => w.event)).toEqual(["issue_comment"]);
  const answers: Response[] = [];
  for (const w of sent) answers.push(await deliver(w.event, w.payload, { delivery: w.delivery }));
  return answers;
}

let main: string;
let branches = 0;
const open = (author: string, files: Record<string, string | null>) => openPullRequest(author, `command-${++branches}`, files);
async function merge(pr: { number: number; branch: string }, files: Record<string, string | null>) {
  const merged = await mergePullRequest(pr, files);
  const before = main;
  main = merged;
  expect((await deliver("push", pushPayload(merged, before))).status).toBe(202);
  return settle();
}
const replies = async (pr: number) => (await repoView()).comments.filter((c) => c.issue_number === pr && !c.body.startsWith("/ngrok-gitops") && !c.body.includes("ngrok-gitops:plan")).map((c) => c.body);
const commands = async () => ((await (await admin("/api/audit?kind=command")).json()) as { entries: { actor: string; action: string; result: string; sha: string | null; detail: Record<string, unknown> }[] }).entries;
const names = async () => (await liveCredentials()).map((c) => c.description).sort();

beforeAll(async () => {
  main = (await freshWorld({ files: { "README.md": "commands\n", ".github/CODEOWNERS": CODEOWNERS, "credentials/team-a/many.yaml": many } })).base;
  await github("POST", "/__fake/orgs", { login: "acme" });
  await github("POST", "/__fake/orgs/acme/teams", { slug: "team-a", members: ["alice"] });
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/collaborators`, { login: "wendy", role: "write" });
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/collaborators`, { login: "trish", role: "triage" });
  expect((await deliver("push", pushPayload(main, "0".repeat(40)))).status).toBe(202);
  expect((await settle()).last?.status).toBe("succeeded");
  expect(await names()).toHaveLength(LIMIT + 1);
});

describe("pull request commands", () => {
  const files = { "credentials/team-a/many.yaml": null, "credentials/team-a/new.yaml": one("fresh") };

  it("allow-deletes from someone with neither write access nor ownership gets a reply saying why, is audited, and the merge is still refused by MAX_DELETES", async () => {
    const pr = await open("bob", files);
    const [answer] = await say(pr.number, "trish", "/ngrok-gitops allow-deletes");
    expect(answer?.status).toBe(200);
    const [reply] = await replies(pr.number);
    expect(reply).toContain("@trish: `/ngrok-gitops allow-deletes` needs write access to the repository or ownership (CODEOWNERS) of every credential this pull request changes");
    expect(reply).toContain("you have read access");
    expect(reply).toContain("@acme/team-a");
    expect(reply).toContain("Nothing was changed.");
    expect((await commands())[0]).toMatchObject({ actor: "trish", action: "allow-deletes", result: "refused", sha: pr.head });
    const status = await merge(pr, files);
    expect(status.last?.status).toBe("refused");
    expect(status.last?.errors.join("\n")).toContain("MAX_DELETES");
    expect(await names()).toHaveLength(LIMIT + 1);
  });

  it("allow-deletes from an owner (a member of the owning team) is voided by a later push; given again on the new head, the merge deletes past MAX_DELETES", async () => {
    // The first merge was refused: main has no old-* specs, so any merge now ends all of them.
    const pr = await open("bob", { "credentials/team-a/new.yaml": one("draft") });
    const final = { "credentials/team-a/new.yaml": one("pushed-later") };
    await say(pr.number, "alice", "/ngrok-gitops allow-deletes");
    expect((await replies(pr.number))[0]).toContain(`@alice (an owner of every changed credential): deletions past MAX_DELETES are allowed for the merge of #${pr.number} at ${pr.head.slice(0, 7)}`);
    expect((await commands())[0]).toMatchObject({ actor: "alice", action: "allow-deletes", result: "approved", sha: pr.head });
    // A push after the approval: the merge of the new head is not approved.
    const pushed = (await commit(pr.branch, final)).sha;
    let status = await merge(pr, final);
    expect(status.last?.status).toBe("refused");
    expect(await names()).toHaveLength(LIMIT + 1);
    // Another pull request, approved by the owner on the head that is merged.
    const next = { "credentials/team-a/new.yaml": one("approved") };
    const again = await open("bob", next);
    await say(again.number, "alice", "/ngrok-gitops allow-deletes");
    expect((await commands())[0]).toMatchObject({ actor: "alice", result: "approved", sha: again.head });
    status = await merge(again, next);
    expect(status.last?.status).toBe("succeeded");
    expect(await names()).toEqual(["approved"]);
    const run = (await (await admin(`/api/runs/${status.last?.id}`)).json()) as { plan_text: string };
    expect(run.plan_text).toContain(`MAX_DELETES lifted for this merge: /ngrok-gitops allow-deletes by @alice on #${again.number} at ${again.head.slice(0, 7)}`);
  });

  it("/ngrok-gitops plan from a user with write access plans the pull request's head again, and is audited with the actor", async () => {
    const pr = await open("bob", { "credentials/other.yaml": one("other") });
    await say(pr.number, "wendy", "/ngrok-gitops plan");
    expect((await replies(pr.number))[0]).toContain(`@wendy (write access): planning ${pr.head.slice(0, 7)} again`);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "pull_request", sha: pr.head });
    expect((await repoView()).comments.find((c) => c.issue_number === pr.number && c.body.includes("ngrok-gitops:plan"))?.body).toContain("other");
    expect((await commands())[0]).toMatchObject({ actor: "wendy", action: "plan", result: "planned", sha: pr.head });
  });

  it("/ngrok-gitops plan from someone without the right queues nothing; a comment by our App, an edit or another comment is ignored", async () => {
    const pr = await open("bob", { "credentials/other.yaml": one("other-again") });
    const runs = (await settle()).last?.id;
    await say(pr.number, "trish", "/ngrok-gitops plan");
    expect((await replies(pr.number))[0]).toContain("@trish: `/ngrok-gitops plan` needs write access");
    expect((await settle()).last?.id).toBe(runs);
    expect((await commands())[0]).toMatchObject({ actor: "trish", action: "plan", result: "refused" });
    const [plain] = await say(pr.number, "wendy", "looks good to me");
    expect(await plain?.json()).toEqual({ ignored: "issue_comment without a command" });
    const edited = await deliver("issue_comment", { action: "edited", issue: { number: pr.number, pull_request: {} }, comment: { body: "/ngrok-gitops plan", user: { login: "wendy" } }, sender: { login: "wendy", type: "User" }, repository: { full_name: TEST_REPOSITORY } });
    expect(await edited.json()).toEqual({ ignored: "issue_comment edited" });
    const bot = await deliver("issue_comment", { action: "created", issue: { number: pr.number, pull_request: {} }, comment: { body: "/ngrok-gitops plan", user: { login: "ngrok-gitops[bot]", type: "Bot" } }, sender: { login: "ngrok-gitops[bot]", type: "Bot" }, repository: { full_name: TEST_REPOSITORY } });
    expect(await bot.json()).toEqual({ ignored: "issue_comment by a bot" });
    expect((await commands())[0]).toMatchObject({ actor: "trish", action: "plan" });
  });
});
