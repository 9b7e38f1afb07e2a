// Delivery targets we did not write, or that someone changed since we wrote them, are refused in the plan and never
// overwritten or deleted (issue 22 item 2), through the Worker against the GitHub stand-in.
import { beforeEach, describe, expect, it } from "vitest";
import { GitHubClient } from "../../src/github/client.js";
import { putActionsSecret } from "../../src/github/secrets.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { installSecretKey, type SecretOpener } from "./sealed-open.js";
import { admin, bindings, commit, deliver, emulatorTokens, freshWorld, github, liveCredentials, pullRequestPayload, repoView, settle } from "./support.js";

const SITE = "acme/site";
const spec = (targets: string[]) =>
  `credentials:\n  - name: ci-runners\n    description: CI\n${targets.length ? `    deliver:\n${targets.map((t) => `      - github_actions_secret: {repo: ${SITE}, name: ${t}}`).join("\n")}\n` : ""}`;

let base = "";
let siteKey: SecretOpener;
let adminClient: GitHubClient;

/** The value the repository secret `name` holds now (opened with the test's key), or undefined when there is none. */
async function secretValue(name: string): Promise<string | undefined> {
  const view = await github<{ secrets: { actions: { name: string; encrypted_value: string }[] } }>("GET", `/__fake/repos/${SITE}`);
  const found = view.secrets.actions.find((s) => s.name === name);
  return found ? siteKey.open(found.encrypted_value) : undefined;
}

async function applyMain(content: string) {
  await commit("main", { "credentials/ci.yaml": content });
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  return settle();
}

async function openPr(number: number, content: string) {
  const head = (await commit(`pr-${number}`, { "credentials/ci.yaml": content })).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `pr-${number}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  const status = await settle();
  const view = await repoView();
  return { status, check: view.check_runs.find((r) => r.head_sha === head), comment: view.comments.find((c) => c.issue_number === number)?.body ?? "" };
}

beforeEach(async () => {
  base = (await freshWorld({ repos: [{ full_name: SITE }] })).base;
  siteKey = await installSecretKey(`/__fake/repos/${SITE}/secrets/rotate-key`);
  // A person with a token of their own, writing secrets through GitHub's API as an admin would.
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login: "site-admin" });
  adminClient = new GitHubClient({ baseUrl: bindings.GITHUB_API_URL, token: async () => token });
});

describe("a target secret ngrok-gitops did not write", () => {
  it("is refused in the plan, not overwritten on merge, and not deleted when the target is dropped", async () => {
    await putActionsSecret(adminClient, { repo: SITE, name: "PROD_DB_PASSWORD" }, "the-admin's-password");
    base = (await commit("main", { "credentials/ci.yaml": spec([]) })).sha;
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded" });

    // The pull request's plan says the target is refused, and why; its check fails. (Soft: without the guard, each of
    // the three promises, plan, merge and drop, is seen broken in one run.)
    const pr = await openPr(41, spec(["PROD_DB_PASSWORD"]));
    expect.soft(pr.comment).toContain("! refused: deliver ci-runners -> acme/site:PROD_DB_PASSWORD: the secret already exists and ngrok-gitops did not write it");
    expect.soft(pr.comment).not.toContain("> deliver");
    expect.soft(pr.check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect.soft(pr.check?.output.title).toContain("1 delivery target refused");
    expect.soft(pr.status.last?.errors.join("\n")).toContain("[DELIVERY_REFUSED] deliver ci-runners -> acme/site:PROD_DB_PASSWORD");

    // Merged: the admin's value stays, the run says why it did not deliver.
    const merged = await applyMain(spec(["PROD_DB_PASSWORD"]));
    expect.soft(await secretValue("PROD_DB_PASSWORD")).toBe("the-admin's-password");
    expect.soft(merged.last).toMatchObject({ status: "failed" });
    expect.soft(merged.last?.outcomes.filter((o) => o.target).map((o) => `${o.action} ${o.status} ${o.target}`)).toEqual(["deliver refused acme/site:PROD_DB_PASSWORD"]);
    expect.soft(merged.last?.plan_text).toContain("! refused: deliver ci-runners -> acme/site:PROD_DB_PASSWORD");
    expect.soft(await secretValue("PROD_DB_PASSWORD")).toBe("the-admin's-password");
    const tokens = Object.values(await emulatorTokens());
    expect.soft(tokens).toHaveLength(1);

    // The target dropped: nothing of ours is there, so nothing is deleted.
    const dropped = await applyMain(spec([]));
    expect.soft(await secretValue("PROD_DB_PASSWORD")).toBe("the-admin's-password");
    expect.soft(dropped.last).toMatchObject({ status: "succeeded" });
    expect.soft(dropped.last?.outcomes.filter((o) => o.target)).toEqual([]);
    expect.soft(await secretValue("PROD_DB_PASSWORD")).toBe("the-admin's-password");
  });
});

describe("a target secret someone changed after ngrok-gitops wrote it", () => {
  it("is not overwritten by the next delivery, and not deleted when the target is dropped", async () => {
    expect((await applyMain(spec(["NGROK_AUTHTOKEN"]))).last).toMatchObject({ status: "succeeded" });
    const [credential] = await liveCredentials();
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe((await emulatorTokens())[credential!.id]);
    // Later (GitHub's times are to the second), an admin puts a value of their own there.
    await github("POST", "/__fake/clock", { advance_ms: 5_000 });
    await putActionsSecret(adminClient, { repo: SITE, name: "NGROK_AUTHTOKEN" }, "set-by-hand");

    // A rotation mints a new token: its delivery is refused, the hand-set value stays.
    expect((await admin("/api/credentials/ci-runners/rotate", { method: "POST" })).status).toBe(202);
    const rotated = await settle();
    expect(rotated.last).toMatchObject({ status: "failed" });
    const refused = rotated.last?.outcomes.find((o) => o.target === "acme/site:NGROK_AUTHTOKEN");
    expect(refused).toMatchObject({ action: "deliver", status: "refused" });
    expect(refused?.error).toContain("the secret was changed on GitHub since ngrok-gitops wrote it");
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe("set-by-hand");

    // Dropped from the spec: left in place and no longer tracked, and the run after is quiet about it.
    const dropped = await applyMain(spec([]));
    expect(dropped.last?.outcomes.filter((o) => o.target).map((o) => `${o.action} ${o.status}`)).toEqual(["undeliver refused"]);
    expect(dropped.last?.plan_text).toContain("! kept: secret acme/site:NGROK_AUTHTOKEN (was ci-runners)");
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe("set-by-hand");
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last?.outcomes.filter((o) => o.target)).toEqual([]);
  });

  it("a secret of ours nobody changed is still replaced on rotation and deleted with its target", async () => {
    expect((await applyMain(spec(["NGROK_AUTHTOKEN"]))).last).toMatchObject({ status: "succeeded" });
    await github("POST", "/__fake/clock", { advance_ms: 5_000 });
    expect((await admin("/api/credentials/ci-runners/rotate", { method: "POST" })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded" });
    const tokens = await emulatorTokens();
    expect(Object.values(tokens)).toContain(await secretValue("NGROK_AUTHTOKEN"));
    const dropped = await applyMain(spec([]));
    expect(dropped.last?.outcomes.filter((o) => o.target).map((o) => `${o.action} ${o.status}`)).toEqual(["undeliver done"]);
    expect(await secretValue("NGROK_AUTHTOKEN")).toBeUndefined();
  });

  it("a write whose answer was lost still counts as ours: the next run delivers there instead of refusing it", async () => {
    // GitHub stores the secret and the answer is a 502: the run cannot know whether the write landed.
    await github("POST", "/__fake/faults", { method: "PUT", path: `/repos/${SITE}/actions/secrets/NGROK_AUTHTOKEN`, status: 502, times: 1, after: true });
    const lost = await applyMain(spec(["NGROK_AUTHTOKEN"]));
    expect(lost.last).toMatchObject({ status: "failed" });
    expect(lost.last?.outcomes.find((o) => o.target)).toMatchObject({ action: "deliver", status: "failed" });
    expect(await secretValue("NGROK_AUTHTOKEN")).toBeDefined();
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const retried = await settle();
    expect(retried.last).toMatchObject({ status: "succeeded" });
    expect(retried.last?.outcomes.filter((o) => o.target).map((o) => `${o.action} ${o.status}`)).toEqual(["deliver done"]);
    const [credential] = await liveCredentials();
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe((await emulatorTokens())[credential!.id]);
  });
});
