// The one stall rule: killed invocations the driver counted are idle ones, progress resets the count, the invocation cap holds.
import { describe, expect, it } from "vitest";
import { MAX_IDLE } from "./errors.js";
import { beginInvocation, endInvocation } from "./stall.js";
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
});
