// GitHub's limits and failures: oversized webhooks, 50 annotations per request, comment and check sizes, and a check never left pending.
import { beforeAll, describe, expect, it } from "vitest";
import { packSpecFiles } from "../support/spec-files.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, admin, commit, deliver, emulator, github, pullRequestPayload, pushPayload, repoView, settle } from "./support.js";

let base: string;

async function openPullRequest(number: number, files: Record<string, string>): Promise<string> {
  const sha = (await commit(`pr-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `pr-${number}`, head_sha: sha, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, sha, base))).status).toBe(202);
  await settle();
  return sha;
}

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "limits\n" } })).base;
});

describe("GitHub limits", () => {
  it("refuses a webhook body over the size limit before verifying or parsing it", async () => {
    const huge = { padding: "x".repeat(6 * 1024 * 1024) };
    const res = await deliver("push", huge);
    expect(res.status).toBe(413);
  });

  it("sends more than 50 annotations in batches of 50, up to 200, and counts the rest", async () => {
    const bad = (n: number) => `credentials:\n${Array.from({ length: n }, (_, i) => `  - name: Bad${i}\n`).join("")}`;
    const sha = await openPullRequest(101, { "credentials/a.yaml": bad(90), "credentials/b.yaml": bad(90), "credentials/c.yaml": bad(90) });
    const check = (await repoView()).check_runs.find((run) => run.head_sha === sha && run.name === "ngrok-gitops/plan");
    expect(check).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "270 invalid specs: nothing would be applied" } });
    expect(check?.annotations).toHaveLength(200);
    expect(new Set(check?.annotations.map((a) => `${a.path}:${a.start_line}`)).size).toBe(200);
  });

  it("a plan of any size publishes: the comment is cut to GitHub's limit and the full plan is in the audit log", async () => {
    // ~190 KB of specs, in files each within the Worker's per-file parse limit.
    const specs = packSpecFiles((f) => `credentials/big-${f}.yaml`, Array.from({ length: 1500 }, (_, i) => `  - name: c-${i}\n    description: ${"d".repeat(60)}\n    acl: [bind:c${i}.example.com]\n`));
    const sha = await openPullRequest(102, specs);
    const view = await repoView();
    const comment = view.comments.find((c) => c.issue_number === 102);
    expect(comment?.body.length).toBeLessThanOrEqual(65_536);
    expect(comment?.body).toMatch(/…and \d+ more changes not shown here/);
    expect(view.check_runs.find((run) => run.head_sha === sha)).toMatchObject({ conclusion: "success" });
    const runs = (await (await admin(`/api/audit?kind=run&sha=${sha}`)).json()) as { entries: { detail: { plan_text: string } }[] };
    expect(runs.entries[0]?.detail.plan_text).toContain("+ c-1499 will be created");
  });

  it("an apply of any size completes its check: the text fits GitHub's byte limit and the run succeeds", async () => {
    // 300 first creates (a Worker's first apply of a real fleet): the plan text alone is ~85 KB, and GitHub counts
    // a check's output in UTF-8 bytes, so "…" or a non-ASCII description must not push it over.
    const specs = packSpecFiles((f) => `credentials/fleet-${f}.yaml`, Array.from({ length: 300 }, (_, i) => `  - name: fleet-${i}\n    description: "Zürich agent ${i}: tunnels for the payments team's staging hosts"\n    metadata: {team: payments, env: staging, region: eu}\n    acl: [bind:fleet-${i}.example.com, "bind:*.fleet-${i}.example.com"]\n`));
    const sha = (await commit("main", specs)).sha;
    expect((await deliver("push", pushPayload(sha, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "succeeded", summary: { create: 300, update: 0, delete: 0 } });
    const check = (await repoView()).check_runs.find((run) => run.head_sha === sha && run.name === "ngrok-gitops/apply");
    expect(check).toMatchObject({ status: "completed", conclusion: "success", output: { title: "Applied: 300 created, 0 updated, 0 deleted" } });
    const summary = check?.output.summary ?? "";
    expect(new TextEncoder().encode(summary).length).toBeLessThanOrEqual(65_535);
    expect(summary).toContain("+ fleet-0 will be created");
    expect(summary).toContain("Plan: 300 to create, 0 to update, 0 to delete.");
    expect(summary).toMatch(/…and \d+ more not shown here \(GitHub's size limit\)/);
  });

  it("an ngrok failure completes the check as failed with the reason, never pending", async () => {
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "GET", path: "/credentials", status: 401, times: 10 }] });
    try {
      const sha = await openPullRequest(103, { "credentials/ok.yaml": "credentials:\n  - name: ok\n" });
      const check = (await repoView()).check_runs.find((run) => run.head_sha === sha && run.name === "ngrok-gitops/plan");
      expect(check).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "The plan could not be computed" } });
    } finally {
      await emulator("DELETE", "/__emulator/faults");
    }
  });

  it("a GitHub failure while publishing still completes the check as failed", async () => {
    await github("POST", "/__fake/faults", { method: "POST", path: `/repos/${TEST_REPOSITORY}/issues/104/comments`, status: 502 });
    try {
      const sha = await openPullRequest(104, { "credentials/ok.yaml": "credentials:\n  - name: ok2\n" });
      const check = (await repoView()).check_runs.find((run) => run.head_sha === sha && run.name === "ngrok-gitops/plan");
      expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
      const status = await (await admin("/api/status")).json();
      expect(status).toMatchObject({ last: { status: "failed", pr: 104 } });
    } finally {
      await github("DELETE", "/__fake/faults");
    }
  });
});
