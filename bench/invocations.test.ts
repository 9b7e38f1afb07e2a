// The per-invocation bench drives the run core under the Free budgets: a cold plan spreads over invocations, none spending more units than one has.
import { describe, expect, it } from "vitest";
import { runInvocationCase } from "./invocations.js";

describe("bench: per invocation under the Free budgets", () => {
  it("a cold 1,000-credential plan parses file by file and diffs in slices, no invocation over its units or calls", async () => {
    const row = await runInvocationCase({ n: 1_000, k: 10, kLabel: "1%", cold: true, reps: 1 });
    // Ten files of about 28 KB, at most one parsed per invocation, then the list, the slices and the plan.
    expect(row.invocations).toBeGreaterThan(10);
    expect(row.max_work_units).toBeLessThanOrEqual(row.unit_limit);
    expect(row.max_subrequests).toBeLessThanOrEqual(50);
  }, 120_000);

  it("a cold 10,000-credential plan (2.7 MB of YAML): checking the specs across files and saving the sources are pieces of their own, each within an invocation", async () => {
    const row = await runInvocationCase({ n: 10_000, k: 100, kLabel: "1%", cold: true, reps: 1 });
    expect(row.max_work_units).toBeLessThanOrEqual(row.unit_limit);
    expect(row.max_subrequests).toBeLessThanOrEqual(50);
  }, 300_000);
});
