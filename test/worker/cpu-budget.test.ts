// Workers Free allows 10 ms of CPU per invocation: a cold 10,000-credential account converges over many alarms, no invocation spending more work units or subrequests than one has.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import * as units from "../../src/run/cpu-units.js";
import { DIFF_UNITS_PER_CREDENTIAL, parseUnits, unitsForCpuMs } from "../../src/run/cpu-units.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, commit, emulator, github, liveCredentials, settle } from "./support.js";

const N = 10_000;
const PER_FILE = 100;
/** Changes the specs ask for: descriptions edited, and new names. */
const UPDATES = 5;
const CREATES = 5;
const name = (i: number) => `cpu-${String(i).padStart(5, "0")}`;
// Descriptions unique to this test run: no file of it can be in the parse cache already (a cold run).
const salt = Math.random().toString(36).slice(2, 10);
const description = (i: number) => `service ${i} ${salt}${i < UPDATES ? " (moved)" : ""}`;
const files: Record<string, string> = {};
const NOTE = "kept by the platform team; rotate through a pull request, never by hand ".repeat(3).slice(0, 200);

beforeAll(async () => {
  expect(bindings.MAX_SUBREQUESTS).toBe("50");
  expect(bindings.MAX_CPU_MS).toBe("10");
  await freshWorld();
  // The account as earlier runs left it (seeded directly: 10,000 creates through the rate limit would take 83 minutes).
  const seed = Array.from({ length: N }, (_, i) => ({ description: `service ${i} ${salt}`, metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: name(i) }) }));
  for (let i = 0; i < seed.length; i += 2000) await emulator("POST", "/__emulator/seed", { credentials: seed.slice(i, i + 2000) });
  for (let f = 0; f < (N + CREATES) / PER_FILE; f++) {
    const lines = ["credentials:"];
    // A comment per entry brings the YAML to the bench's 270 bytes a credential (2.7 MB in all): putting the files
    // together is then more than one invocation's units in one piece, as checking and saving them would be.
    for (let i = f * PER_FILE; i < Math.min(N + CREATES, (f + 1) * PER_FILE); i++) lines.push(`  - name: ${name(i)}`, `    # ${NOTE}`, `    description: ${description(i)}`);
    files[`credentials/team-${String(f).padStart(3, "0")}.yaml`] = `${lines.join("\n")}\n`;
  }
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "main", files, replace: true });
});

describe("CPU budget", () => {
  it("converges a cold 10,000-credential account: files parsed one by one, the live list diffed in slices, no invocation over its units or calls", async () => {
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const status = await settle();
    expect(status.last, JSON.stringify(status.last).slice(0, 800)).toMatchObject({ cause: "manual", status: "succeeded", summary: { create: CREATES, update: UPDATES, delete: 0 } });
    const audit = (await (await admin(`/api/audit?kind=run&limit=1`)).json()) as { entries: { detail: { progress: { invocations: number; max_subrequests: number; parsed: number; max_work_units: number; work_units: number; listed: number } } }[] };
    const progress = audit.entries[0]!.detail.progress;
    const limit = unitsForCpuMs(10);
    const parseTotal = Object.values(files).reduce((sum, text) => sum + parseUnits(text.length), 0);
    const diffTotal = N * DIFF_UNITS_PER_CREDENTIAL;
    // The run's own records: no invocation spent more work units than MAX_CPU_MS's, nor more subrequests than 50.
    expect(progress.max_work_units).toBeLessThanOrEqual(limit);
    expect(progress.max_subrequests).toBeLessThanOrEqual(50);
    // Every file was parsed by this run (cold), and the whole live list diffed: more work than many invocations hold.
    expect(progress.parsed).toBe(Object.keys(files).length);
    const yamlKb = Object.values(files).reduce((sum, text) => sum + text.length, 0) / 1024;
    expect(yamlKb).toBeGreaterThan(2_550);
    expect(diffTotal).toBeGreaterThan(limit * 5);
    expect(progress.work_units).toBeGreaterThanOrEqual(parseTotal + diffTotal);
    expect(progress.invocations).toBeGreaterThanOrEqual(Math.ceil(progress.work_units / limit));
    // Converged: every spec live once, the edited ones edited.
    const live = await liveCredentials();
    expect(live).toHaveLength(N + CREATES);
    expect(live.filter((c) => c.description?.endsWith("(moved)"))).toHaveLength(UPDATES);
  });
});

type Progress = { invocations: number; max_subrequests: number; parsed: number; max_work_units: number; work_units: number; changes: number; applied: number };
const lastRunProgress = async (): Promise<Progress> => ((await (await admin(`/api/audit?kind=run&limit=1`)).json()) as { entries: { detail: { progress: Progress } }[] }).entries[0]!.detail.progress;

describe("CPU budget of a big apply", () => {
  /**
   * Creates of a first apply, past the 2,000 changes a whole report (4 units a change) fits in one invocation: the
   * report is tallied before it in pieces and reads only a bounded head (src/run/report-tally.ts, finish.ts).
   */
  const C = 2_500;

  it("reads the saved plan by range: each change's row once, not the whole plan in every apply invocation", async () => {
    await freshWorld();
    const tag = Math.random().toString(36).slice(2, 10);
    const created: Record<string, string> = {};
    for (let f = 0; f < C / 100; f++) {
      const lines = ["credentials:"];
      for (let i = f * 100; i < (f + 1) * 100; i++) lines.push(`  - name: new-${String(i).padStart(4, "0")}`, `    description: agent ${i} ${tag}`);
      created[`credentials/new-${f}.yaml`] = `${lines.join("\n")}\n`;
    }
    await commit("main", created);
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const status = await settle(1_000);
    expect(status.last, JSON.stringify(status.last).slice(0, 800)).toMatchObject({ cause: "manual", status: "succeeded", summary: { create: C, update: 0, delete: 0 } });
    const progress = await lastRunProgress();
    const limit = unitsForCpuMs(10);
    expect(progress.max_work_units).toBeLessThanOrEqual(limit);
    expect(progress.max_subrequests).toBeLessThanOrEqual(50);
    // Many apply invocations: reading the whole plan in each (C rows) would cost that many times C rows.
    const applyInvocations = Math.ceil(C / 50);
    expect(progress.invocations).toBeGreaterThan(applyInvocations);
    // What the run's pieces cost when every row of the plan is read once by the apply, once for plan_text and once by
    // the report's tally (with its outcome), and the report itself reads a bounded head.
    const sources = Object.values(created).map((content) => ({ content }));
    const expected =
      sources.reduce((sum, { content }) => sum + parseUnits(content.length), 0) +
      units.checkUnits(sources) +
      units.saveSourcesUnits(sources) +
      C * (units.INDEX_READ_UNITS_PER_SPEC + units.INDEX_CONTEXT_UNITS_PER_SPEC + units.FINISH_UNITS_PER_SPEC + units.PLAN_ROW_UNITS + units.PLAN_TEXT_UNITS_PER_CHANGE + units.TALLY_UNITS_PER_CHANGE + units.TALLY_UNITS_PER_OUTCOME) +
      units.REPORT_HEAD * units.REPORT_UNITS_PER_CHANGE;
    // One invocation's units of slack for the fixed pieces; a whole plan read per apply invocation is many times that.
    expect(progress.work_units).toBeLessThanOrEqual(expected + limit);
    expect((applyInvocations - 1) * C * units.PLAN_ROW_UNITS).toBeGreaterThan(2 * limit);
    expect(await liveCredentials()).toHaveLength(C);
  });
});

