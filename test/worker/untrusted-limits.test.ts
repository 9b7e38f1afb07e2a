// A hostile PR's huge spec files are refused from the tree listing alone: no blob is fetched, and the default branch still applies.
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, commit, deliver, github, liveCredentials, pullRequestPayload, pushPayload, reconciler, settle } from "./support.js";

let base: string;
const refusedStatus = ["failed", "invalid"];
const requests = (path: string) => github<{ method: string; path: string }[]>("GET", `/__fake/requests?method=GET&path=${encodeURIComponent(path)}`);

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "limits\n" } })).base;
  await settle();
});

async function planPr(number: number, files: Record<string, string>) {
  const head = (await commit(`limits-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `limits-${number}`, head_sha: head, base_ref: "main" });
  await github("DELETE", "/__fake/requests");
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  const status = await settle();
  return { head, status, blobGets: await requests(`/repos/${TEST_REPOSITORY}/git/blobs/`) };
}

describe("spec limits from the tree listing", () => {
  it("a file over 1 MiB is refused by name and limit, and no blob at all is downloaded", async () => {
    const big = `credentials:\n  - name: big\n    description: ${"x".repeat(200)}\n#${"y".repeat(1024 * 1024)}\n`;
    const { head, status, blobGets } = await planPr(1501, { "credentials/a.yaml": "credentials:\n  - name: small\n", "credentials/huge.yaml": big });
    expect(status.last).toMatchObject({ cause: "pull_request", sha: head });
    // "failed" (SPEC_LIMIT_EXCEEDED) today; "invalid" once the run core reports the refusal as a spec error.
    expect(refusedStatus).toContain(status.last?.status);
    const errors = status.last?.errors.join("\n") ?? "";
    expect(errors).toContain("credentials/huge.yaml");
    expect(errors).toContain("1048576");
    expect(blobGets).toEqual([]);
  });

  it("many files that are each small but together too large are refused before any download", async () => {
    const files: Record<string, string> = {};
    // 6 files of 900 KiB: each under the per-file limit, together over the 4 MiB a run reads.
    for (let i = 0; i < 6; i++) files[`credentials/part-${i}.yaml`] = `credentials:\n  - name: part-${i}\n#${"z".repeat(900 * 1024)}\n`;
    const { status, blobGets } = await planPr(1502, files);
    expect(refusedStatus).toContain(status.last?.status);
    expect(status.last?.errors.join("\n")).toMatch(/credentials\/part-4\.yaml.*4194304/);
    expect(blobGets).toEqual([]);
  });

  it("more than 1000 spec files are refused before any download", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= 1000; i++) files[`credentials/many/f${String(i).padStart(4, "0")}.yaml`] = "credentials: []\n";
    const { status, blobGets } = await planPr(1503, files);
    expect(refusedStatus).toContain(status.last?.status);
    expect(status.last?.errors.join("\n")).toMatch(/1001 spec files; at most 1000.*credentials\/many\/f1000\.yaml/);
    expect(blobGets).toEqual([]);
  });

  // Turns green once the run core reports a SpecLimitError like invalid specs (active.invalid =
  // error.toSpecErrors(), rendered with renderInvalidMarkdown): then make it `it`.
  it("the PR's check fails, naming the file and the limit", async () => {
    const big = `credentials: []\n#${"y".repeat(1024 * 1024)}\n`;
    const { head } = await planPr(1504, { "credentials/too-big.yaml": big });
    const view = await github<{ check_runs: { head_sha: string; name: string; conclusion: string | null; output: { summary: string | null } }[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`);
    const check = view.check_runs.find((run) => run.head_sha === head && run.name === "ngrok-gitops/plan");
    expect(check?.conclusion).toBe("failure");
    expect(check?.output.summary).toContain("credentials/too-big.yaml");
    expect(check?.output.summary).toContain("1048576");
  });

  it("the default branch still applies right after", async () => {
    const merged = (await commit("main", { "credentials/team.yaml": "credentials:\n  - name: after-limits\n" })).sha;
    expect((await deliver("push", pushPayload(merged, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: merged, summary: { create: 1, update: 0, delete: 0 } });
    expect((await liveCredentials()).length).toBe(1);
    expect((await reconciler().status()).current).toBeNull();
  });
});
