// Reviewed settings ngrok does not hold (deliver, rotate_after, …) show in the Worker's plans: on a pull request against
// the default branch's specs, on an apply against what was last applied; a settings-only plan is not "No changes".
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { admin, commit, deliver, freshWorld, github, pullRequestPayload, pushPayload, repoView, settle } from "./support.js";

const WEB = "credentials:\n  - name: web\n    description: web tunnels\n";
const NO_CHANGES = "No changes. The ngrok account matches the specs.";
let base = "";

async function openPr(number: number, files: Record<string, string>) {
  const head = (await commit(`settings-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `settings-${number}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  const status = await settle();
  const view = await repoView();
  return { status, check: view.check_runs.find((r) => r.head_sha === head && r.name === "ngrok-gitops/plan"), comment: view.comments.find((c) => c.issue_number === number)?.body ?? "" };
}

beforeAll(async () => {
  base = (await freshWorld({ files: { "credentials/web.yaml": WEB } })).base;
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  expect((await settle()).last).toMatchObject({ status: "succeeded" });
});

describe("reviewed settings in the Worker's plans", () => {
  it("a pull request that only adds rotate_after and a delivery target shows both, against the default branch", async () => {
    const { status, check, comment } = await openPr(81, { "credentials/web.yaml": `${WEB}    rotate_after: 90d\n    deliver:\n      - github_actions_secret: {repo: acme/site, name: NGROK_TOKEN}\n` });
    expect(status.last).toMatchObject({ cause: "pull_request", status: "succeeded" });
    expect(comment).not.toContain(NO_CHANGES);

    expect(comment).toContain("~ web: rotate_after (none) → 90d");
    expect(comment).toContain("~ web: deliver + acme/site:NGROK_TOKEN");
    expect(comment).toContain(`2 reviewed settings changed since the default branch (${base.slice(0, 7)}), no ngrok call.`);
    expect(check?.output?.summary ?? "").toContain("~ web: rotate_after (none) → 90d");
  });

  it("an apply of a settings-only commit shows it against the last apply; the next run, on the same tree, shows none", async () => {
    const pushed = (await commit("main", { "credentials/web.yaml": `${WEB}    rotate_after: 90d\n` })).sha;
    expect((await deliver("push", pushPayload(pushed, base))).status).toBe(202);
    const applied = (await settle()).last!;
    expect(applied).toMatchObject({ cause: "push", status: "succeeded" });
    expect(applied.plan_text).not.toContain(NO_CHANGES);
    expect(applied.plan_text).toContain("  ~ web: rotate_after (none) → 90d\n");
    expect(applied.plan_text).toContain(`since the last apply (${base.slice(0, 7)})`);
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const again = (await settle()).last!;
    expect(again.plan_text).toContain(NO_CHANGES);
    expect(again.plan_text).not.toContain("rotate_after");
  });

  it("a last-applied commit that is gone (history rewritten) is noted, and the run goes on", async () => {
    await freshWorld({ files: { "credentials/web.yaml": `${WEB}    rotate_after: 30d\n` } });
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const run = (await settle()).last!;
    expect(run.status).toBe("succeeded");
    expect(run.plan_text).toMatch(/reviewed settings \(rotate_after, expires, deliver, prevent_destroy, import\) are not compared: the specs of the last apply \([0-9a-f]{7}\) cannot be read/);
  });
});
