// Stored and sent texts are capped in UTF-8 bytes: a plan over SQLite's 2 MB in UTF-8 (not in UTF-16 units) is stored clipped, and the queue moves on.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import type { AuditEntry } from "../../src/reconciler/types.js";
import { newRunState } from "../../src/run/state.js";
import { makePlan } from "../../src/plan/plan.js";
import { packSpecFiles } from "../support/spec-files.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { admin, commit, deliver, freshWorld, github, pullRequestPayload, pushPayload, reconciler, repoView, settle } from "./support.js";

const SPECS = 624;
const bytes = (text: string) => new TextEncoder().encode(text).length;
// 255 bytes of description and about 3.9 KB of metadata (marker included): each under its limit, 3 bytes a character.
const description = "語".repeat(85);
const metadata = "説".repeat(1250);

let base = "";

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "bytes\n" } })).base;
  await settle();
});

/** Delivers a pull request of `SPECS` CJK specs and runs the alarm that takes it up. */
async function startBigPlan(number: number): Promise<string> {
  // ~4 KB a spec, 2.5 MB in all: a dozen specs a file keeps each within the Worker's per-file parse limit.
  const entries = Array.from({ length: SPECS }, (_, i) => `  - name: cjk-${String(i).padStart(4, "0")}-${number}\n    description: ${description}\n    metadata: "${metadata}"\n`);
  const files = packSpecFiles((f) => `credentials/cjk-${f}.yaml`, entries);
  const head = (await commit(`cjk-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `cjk-${number}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  await runDurableObjectAlarm(reconciler());
  return head;
}

async function pushBehind(name: string): Promise<string> {
  const merged = (await commit("main", { [`credentials/${name}.yaml`]: `credentials:\n  - name: ${name}\n` })).sha;
  expect((await deliver("push", pushPayload(merged, base))).status).toBe(202);
  base = merged;
  return merged;
}

async function runAudit(sha: string): Promise<AuditEntry | undefined> {
  const audit = (await (await admin(`/api/audit?kind=run&sha=${sha}`)).json()) as { entries: AuditEntry[] };
  return audit.entries[0];
}

describe("byte limits", () => {
  it(`a plan of ${SPECS} CJK specs (over 2 MB in UTF-8, under 1M UTF-16 units) is stored clipped and audited; the push behind it runs`, async () => {
    const head = await startBigPlan(2201);
    const merged = await pushBehind("after-cjk");
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: merged, summary: { create: 1, update: 0, delete: 0 } });

    const entry = await runAudit(head);
    expect(entry).toMatchObject({ kind: "run", result: "succeeded" });
    const run = await reconciler().run(status.last!.id - 1);
    expect(run).toMatchObject({ cause: "pull_request", pr: 2201, status: "succeeded", summary: { create: SPECS, update: 0, delete: 0 } });
    for (const text of [run!.plan_text, String(entry!.detail.plan_text)]) {
      expect(text.length).toBeLessThan(1_000_000);
      expect(bytes(text)).toBeLessThanOrEqual(1_000_000);
      expect(bytes(text)).toBeGreaterThan(900_000);
      expect(text).toMatch(/…\(cut at 1000000 of \d+ bytes of UTF-8 to fit the Durable Object's storage\)$/);
      expect(Number(/of (\d+) bytes/.exec(text)?.[1])).toBeGreaterThan(2_000_000);
      expect(text).not.toContain("\uFFFD");
    }

    // What went to GitHub was measured in bytes by the renderer: whole entries, counted past the limit, never cut mid-block.
    const view = await repoView();
    const comment = view.comments.find((c) => c.issue_number === 2201);
    const check = view.check_runs.find((c) => c.head_sha === head && c.name === "ngrok-gitops/plan");
    for (const text of [comment?.body ?? "", check?.output.summary ?? ""]) {
      expect(bytes(text)).toBeLessThanOrEqual(65_535);
      expect(text).toMatch(/…and \d+ more changes not shown here/);
      expect(text).not.toContain("cut to GitHub's size limit");
    }
  });

  it("a run whose record SQLite refuses ends failed with RUN_RECORD_FAILED and its audit entry; the push behind it runs", async () => {
    // SQLite itself refuses the write of this run's plan, as it refuses a value over its limit.
    await runInDurableObject(reconciler(), async (_instance, state) => {
      state.storage.sql.exec("CREATE TRIGGER refuse_plans BEFORE UPDATE OF plan_text ON runs WHEN NEW.plan_text != '' AND NEW.pr = 2202 BEGIN SELECT RAISE(ABORT, 'string or blob too big: SQLITE_TOOBIG'); END");
    });
    try {
      const head = await (async () => {
        const sha = (await commit("cjk-2202", { "credentials/small.yaml": "credentials:\n  - name: small-2202\n" })).sha;
        await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 2202, head_ref: "cjk-2202", head_sha: sha, base_ref: "main" });
        expect((await deliver("pull_request", pullRequestPayload("opened", 2202, sha, base))).status).toBe(202);
        await runDurableObjectAlarm(reconciler());
        return sha;
      })();
      const merged = await pushBehind("after-refused");
      const status = await settle();
      expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: merged });
      const runs = await Promise.all([status.last!.id - 1, status.last!.id - 2].map((id) => reconciler().run(id)));
      const refused = runs.find((r) => r?.pr === 2202);
      expect(refused).toMatchObject({ status: "failed", plan_text: "" });
      expect(refused?.errors.join("\n")).toMatch(/^RUN_RECORD_FAILED: the record of this run \(succeeded\) could not be stored: .*SQLITE_TOOBIG/);
      const entry = await runAudit(head);
      expect(entry).toMatchObject({ kind: "run", result: "failed" });
      expect(JSON.stringify(entry?.detail.errors)).toContain("RUN_RECORD_FAILED");
      expect(status.queued).toEqual([]);
    } finally {
      await runInDurableObject(reconciler(), async (_instance, state) => {
        state.storage.sql.exec("DROP TRIGGER IF EXISTS refuse_plans");
      });
    }
  });

  it("a run's state and plan over 2 MB in UTF-8 are stored in pieces and read back whole, characters intact", async () => {
    const back = await runInDurableObject(reconciler(), async (_instance, state) => {
      const storage = new ReconcilerStorage(state.storage.sql);
      const run = newRunState(999, "k", { cause: "manual", mode: "plan" }, "plan");
      // 3-byte and 4-byte characters at every offset of the pieces: 4.5 MB of state, 3 MB of plan.
      run.policyNotes = ["x", "語".repeat(1_000_000), "🔑".repeat(400_000)];
      storage.scratch.save(run);
      const big = makePlan({ ownerId: "o", specs: [], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 1 });
      storage.scratch.savePlan({ ...big, notes: ["説".repeat(1_000_000)] });
      const loaded = storage.scratch.load();
      const plan = storage.scratch.loadPlan();
      const same = JSON.stringify(loaded) === JSON.stringify(run) && plan.notes[0] === "説".repeat(1_000_000);
      storage.scratch.clear();
      const left = state.storage.sql.exec("SELECT COUNT(*) AS n FROM state WHERE key GLOB 'active*'").one().n;
      return { same, left };
    });
    expect(back).toEqual({ same: true, left: 0 });
  });
});
