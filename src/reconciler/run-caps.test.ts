// Run caps: killed invocations count because attempts are recorded before the work; progress resets the stall count.
import { describe, expect, it } from "vitest";
import { capExceeded, nextAttempt, type RunAttempts } from "./run-caps.js";

const at = (stage: string, listed = 0, applied = 0) => ({ stage, listed, applied, delivered: 0 });
const caps = { maxInvocations: 5, maxStalledAttempts: 2 };

describe("run caps", () => {
  it("a run killed at the same place again and again is given up after the stalled cap", () => {
    let attempts: RunAttempts | null = null;
    const verdicts: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      attempts = nextAttempt(attempts, at("start"));
      verdicts.push(capExceeded(attempts, caps));
    }
    expect(verdicts.slice(0, 2)).toEqual([null, null]);
    expect(verdicts[2]).toContain("no progress in 3 invocations in a row (stage start)");
  });

  it("progress resets the stall count; the invocation cap still holds", () => {
    let attempts: RunAttempts | null = null;
    const verdicts: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      attempts = nextAttempt(attempts, at("list", i * 100));
      verdicts.push(capExceeded(attempts, caps));
    }
    expect(attempts?.stalled).toBe(0);
    expect(verdicts.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(verdicts[5]).toContain("more than 5 invocations");
  });
});
