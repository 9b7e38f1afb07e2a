// A replayed old synchronize (any valid old delivery, sent again under a new id) must not publish a stale plan.
import { beforeAll, describe, expect, it } from "vitest";
import { GitHubClient } from "../../src/github/client.js";
import { isStillHead } from "../../src/github/pulls.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, bindings, commit, deliver, github, pullRequestPayload, repoView, settle } from "./support.js";

let base: string;
let client: GitHubClient;

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "replay\n" } })).base;
  await settle();
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login: "replay-reader" });
  client = new GitHubClient({ baseUrl: bindings.GITHUB_API_URL, token: async () => token });
});

const openPr = (number: number, head: string) => github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `replay-${number}`, head_sha: head, base_ref: "main" });

describe("isStillHead", () => {
  it("is true for the PR's head, false for an older commit, another PR's head and a PR that does not exist", async () => {
    const old = (await commit("replay-1801", { "credentials/a.yaml": "credentials:\n  - name: old-head\n" })).sha;
    await openPr(1801, old);
    expect(await isStillHead(client, TEST_REPOSITORY, 1801, old)).toBe(true);
    expect(await isStillHead(client, TEST_REPOSITORY, 1801, old.toUpperCase())).toBe(true);
    const next = (await commit("replay-1801", { "credentials/a.yaml": "credentials:\n  - name: new-head\n" })).sha;
    await openPr(1801, next);
    expect(await isStillHead(client, TEST_REPOSITORY, 1801, old)).toBe(false);
    expect(await isStillHead(client, TEST_REPOSITORY, 1801, next)).toBe(true);
    expect(await isStillHead(client, TEST_REPOSITORY, 1899, next)).toBe(false);
  });
});

describe("a replayed old synchronize", () => {
  // Turns green once the run core checks isStillHead (src/github/pulls.ts) before it writes the PR's comment and
  // check, and skips publishing when the head moved on: then make it `it`.
  it("does not overwrite the sticky comment with the old head's plan", async () => {
    const pr = 1802;
    const old = (await commit(`replay-${pr}`, { "credentials/a.yaml": "credentials:\n  - name: stale-plan\n" })).sha;
    await openPr(pr, old);
    const oldPayload = pullRequestPayload("synchronize", pr, old, base);
    expect((await deliver("pull_request", oldPayload)).status).toBe(202);
    await settle();
    const head = (await commit(`replay-${pr}`, { "credentials/a.yaml": "credentials:\n  - name: current-plan\n" })).sha;
    await openPr(pr, head);
    expect((await deliver("pull_request", pullRequestPayload("synchronize", pr, head, base))).status).toBe(202);
    await settle();
    const current = (await repoView()).comments.filter((c) => c.issue_number === pr);
    expect(current).toHaveLength(1);
    expect(current[0]?.body).toContain("current-plan");
    // The old delivery again, under a new delivery id (as a replay by anyone holding it would be).
    expect((await deliver("pull_request", oldPayload)).status).toBe(202);
    await settle();
    const after = (await repoView()).comments.filter((c) => c.issue_number === pr);
    expect(after[0]?.body).toContain("current-plan");
    expect(after[0]?.body).not.toContain("stale-plan");
  });
});
