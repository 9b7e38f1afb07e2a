// The one stall rule: killed invocations the driver counted are idle ones, progress resets the count, the invocation cap holds.
import { describe, expect, it } from "vitest";
import { MAX_IDLE } from "./errors.js";
import { beginInvocation, endInvocation, invocationCap } from "./stall.js";
import { unitsForCpuMs } from "./cpu-units.js";
import { newRunState } from "./state.js";

const fresh = () => newRunState(1, "k", { cause: "manual", mode: "apply" }, "apply");

describe("stall rule", () => {
  it("attempts the state never heard of (killed before persisting) count as invocations without progress", () => {
    const state = fresh();
    expect(beginInvocation(state, MAX_IDLE - 1, 200)).toBeNull();
    expect(state.idle).toBe(MAX_IDLE - 2);
    const again = fresh();
    expect(beginInvocation(again, MAX_IDLE + 1, 200)?.code).toBe("RUN_NO_PROGRESS");
  });

  it("an invocation that persisted work resets the count; idle ones add up to the limit", () => {
    const state = fresh();
    const verdicts: (string | null)[] = [];
    for (let i = 1; i <= MAX_IDLE + 1; i++) {
      beginInvocation(state, i, 200);
      verdicts.push(endInvocation(state, i === 1)?.code ?? null);
    }
    expect(verdicts.slice(0, MAX_IDLE)).toEqual(Array(MAX_IDLE).fill(null));
    expect(verdicts[MAX_IDLE]).toBe("RUN_NO_PROGRESS");
  });

  it("a run past the invocation cap is given up however it progresses", () => {
    const state = fresh();
    for (let i = 1; i <= 3; i++) expect(beginInvocation(state, i, 3)).toBeNull(), endInvocation(state, true);
    expect(beginInvocation(state, 4, 3)?.code).toBe("RUN_TOO_MANY_INVOCATIONS");
  });

  it("the cap grows with the run's work: a first apply of 10,000 creates on the Free budgets is not given up at 200", () => {
    const free = { limit: 50, unitLimit: unitsForCpuMs(10) };
    const state = fresh();
    expect(invocationCap(state, 200, free, 8)).toBe(200);
    Object.assign(state, { listed: 10_000, total: 10_000, parsed: 100 });
    const cap = invocationCap(state, 200, free, 8);
    // 20,000 planned calls at 42 an invocation is 477 invocations of writes alone, 120 req/min or not.
    expect(cap).toBeGreaterThan(200 + 100 + 477);
    for (let i = 1; i <= 700; i++) expect(beginInvocation(state, i, cap)).toBeNull(), endInvocation(state, true);
    // Unlimited budgets (the CLI) keep the fixed cap.
    expect(invocationCap(state, 200, { limit: Number.POSITIVE_INFINITY, unitLimit: Number.POSITIVE_INFINITY }, 0)).toBe(200);
  });

  it("the other kinds' items count like credentials: 100,000 API keys get the slices their diff needs", () => {
    const free = { limit: 50, unitLimit: unitsForCpuMs(10) };
    const state = fresh();
    const none = invocationCap(state, 200, free, 8);
    Object.assign(state, { kindListed: 100_000 });
    const cap = invocationCap(state, 200, free, 8);
    // 100,000 items are 1,000 pages (24 invocations at 42 calls) and, at 12 units an item, 150 slices of 8,000 units.
    expect(cap - none).toBeGreaterThanOrEqual(2 * (24 + 150));
  });
});
