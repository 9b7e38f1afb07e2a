// The apply after a merge compares itself with the plan reviewed on the pull request for the same credentials/ tree.
import { beforeAll, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, commit, deliver, emulator, github, pullRequestPayload, pushPayload, repoView, settle } from "./support.js";

const SPECS = "credentials:\n  - name: reviewed-a\n  - name: reviewed-b\n";
let base: string;

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "reviewed\n" } })).base;
});

it("says so when the account changed between review and merge", async () => {
  const head = (await commit("pr-77", { "credentials/r.yaml": SPECS })).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 77, head_ref: "pr-77", head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", 77, head, base))).status).toBe(202);
  await settle();
  // Between review and merge, someone adds a credential marked as ours by hand: the apply must now also delete it.
  await emulator("POST", "/credentials", { description: "stray", metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: "stray-between" }) });
  const merged = (await commit("main", { "credentials/r.yaml": SPECS })).sha;
  expect((await deliver("push", pushPayload(merged, base))).status).toBe(202);
  const status = await settle();
  expect(status.last?.outcomes.map((o) => `${o.action} ${o.name}`).sort()).toEqual(["create reviewed-a", "create reviewed-b", "delete stray-between"]);
  const check = (await repoView()).check_runs.find((run) => run.head_sha === merged && run.name === "ngrok-gitops/apply");
  expect(check?.output.summary).toContain("This differs from the plan reviewed in #77");
});
