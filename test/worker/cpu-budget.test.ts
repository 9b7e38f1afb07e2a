// Workers Free allows 10 ms of CPU per invocation: a cold 10,000-credential account parses its files over several alarms, by work units (the diff is not yet sliced).
import { beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { parseUnits, unitsForCpuMs } from "../../src/run/cpu-units.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, emulator, github, liveCredentials, settle } from "./support.js";

const N = 10_000;
const PER_FILE = 100;
const name = (i: number) => `cpu-${String(i).padStart(5, "0")}`;
// Descriptions unique to this test run: no file of it can be in the parse cache already (a cold run).
const salt = Math.random().toString(36).slice(2, 10);
const files: Record<string, string> = {};

beforeAll(async () => {
  expect(bindings.MAX_SUBREQUESTS).toBe("50");
  expect(bindings.MAX_CPU_MS).toBe("10");
  await freshWorld();
  const seed = Array.from({ length: N }, (_, i) => ({ description: `service ${i} ${salt}`, metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: name(i) }) }));
  for (let i = 0; i < seed.length; i += 2000) await emulator("POST", "/__emulator/seed", { credentials: seed.slice(i, i + 2000) });
  for (let f = 0; f < N / PER_FILE; f++) {
    const lines = ["credentials:"];
    for (let i = f * PER_FILE; i < (f + 1) * PER_FILE; i++) lines.push(`  - name: ${name(i)}`, `    description: service ${i} ${salt}`);
    files[`credentials/team-${String(f).padStart(3, "0")}.yaml`] = `${lines.join("\n")}\n`;
  }
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "main", files, replace: true });
});

describe("CPU budget", () => {
  it("parses a cold account file by file, over as many invocations as MAX_CPU_MS's units need", async () => {
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const status = await settle();
    expect(status.last, JSON.stringify(status.last).slice(0, 800)).toMatchObject({ cause: "manual", status: "succeeded", summary: { create: 0, update: 0, delete: 0 } });
    const audit = (await (await admin(`/api/audit?kind=run&limit=1`)).json()) as { entries: { detail: { progress: { invocations: number; max_subrequests: number; parsed: number; max_work_units: number; work_units: number } } }[] };
    const progress = audit.entries[0]!.detail.progress;
    const limit = unitsForCpuMs(10);
    const parseTotal = Object.values(files).reduce((sum, text) => sum + parseUnits(text.length), 0);
    // Every file was parsed by this run (cold), and no more of them per invocation than the units allow.
    expect(progress.parsed).toBe(N / PER_FILE);
    expect(parseTotal).toBeGreaterThan(limit);
    expect(progress.invocations).toBeGreaterThanOrEqual(Math.ceil(parseTotal / limit));
    expect(progress.max_subrequests).toBeLessThanOrEqual(50);
    // The run's own count of work: all of the parse, then the diff of the live list in one piece (not yet sliced).
    expect(progress.work_units).toBeGreaterThanOrEqual(parseTotal);
    expect(await liveCredentials()).toHaveLength(N);
  });
});
