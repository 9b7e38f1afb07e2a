// A pull request is judged by the default branch's policy whatever its base, and one retargeted to another branch is planned again.
import { beforeAll, describe, expect, it } from "vitest";
import { buildPullRequestEvent, type PullRequestInput } from "../../standins/github/webhooks.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { commit, deliver, freshWorld, github, repoView, settle } from "./support.js";

const POLICY = "acl:\n  deny_unrestricted: true\n";
const LOOSE = "require: []\n";
const STAR = 'credentials:\n  - name: everything\n    acl: ["*"]\n';
const PR = 2201;

let legacy = "";
let main = "";
let head = "";

const event = (action: PullRequestInput["action"], baseRef: string, baseSha: string, changes?: PullRequestInput["changes"]) =>
  buildPullRequestEvent({
    action,
    number: PR,
    repository: { fullName: TEST_REPOSITORY, defaultBranch: "main" },
    head: { sha: head, ref: "loosen", repository: "mallory/infra" },
    base: { sha: baseSha, ref: baseRef },
    ...(changes ? { changes } : {}),
  });

const planCheck = async () => (await repoView()).check_runs.filter((r) => r.head_sha === head && r.name === "ngrok-gitops/plan").at(-1);
const comment = async () => (await repoView()).comments.find((c) => c.issue_number === PR)?.body ?? "";

beforeAll(async () => {
  // legacy branches off main before main had a policy.
  await freshWorld({ files: { "README.md": "retarget\n" } });
  legacy = (await commit("legacy", { "LEGACY.md": "old line\n" })).sha;
  main = (await commit("main", { "ngrok-gitops.policy.yaml": POLICY })).sha;
  // A fork's PR against legacy loosens the policy (legacy has none anyway) and adds an unrestricted credential.
  head = (await github<{ sha: string }>("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "loosen", parent: legacy, files: { "ngrok-gitops.policy.yaml": LOOSE, "credentials/star.yaml": STAR } })).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: PR, head_ref: "loosen", head_sha: head, base_ref: "legacy", head_repo: "mallory/infra", user: "mallory" });
});

describe("a pull request based on another branch", () => {
  it("is judged by the default branch's policy, and its plan says it is never applied from there", async () => {
    expect((await deliver("pull_request", event("opened", "legacy", legacy))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "pull_request", status: "invalid" });
    expect(status.last?.errors.join("\n")).toContain('"everything" breaks policy acl.deny_unrestricted');
    expect(await planCheck()).toMatchObject({ status: "completed", conclusion: "failure" });
    const body = await comment();
    expect(body).toContain("this pull request's base is legacy, not the default branch main: it will never be applied from there (only main is), and main's policy judged this plan");
    expect(body).not.toContain("no policy judged this plan");
  });

  it("retargeted to main (`edited` with changes.base), it is planned again and its check is replaced", async () => {
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: PR, head_ref: "loosen", head_sha: head, base_ref: "main", head_repo: "mallory/infra", user: "mallory" });
    const before = (await repoView()).check_runs.filter((r) => r.head_sha === head).length;
    const res = await deliver("pull_request", event("edited", "main", main, { base: { ref: "legacy", sha: legacy } }));
    expect(res.status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "pull_request", status: "invalid" });
    const checks = (await repoView()).check_runs.filter((r) => r.head_sha === head);
    expect(checks.length).toBe(before + 1);
    expect(await planCheck()).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(await comment()).not.toContain("base is legacy");
  });

  it("an edit of only the title or body plans nothing", async () => {
    const res = await deliver("pull_request", event("edited", "main", main, { title: "Loosen things" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ignored: "pull_request edited" });
  });
});
