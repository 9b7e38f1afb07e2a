// Persisted run state is versioned: a state written by another version is never resumed as if it were this one.
import { describe, expect, it } from "vitest";
import { newRunState, parseRunState, RUN_STATE_VERSION } from "./state.js";

describe("run state", () => {
  it("round-trips through JSON", () => {
    const state = newRunState(7, "apply", { cause: "push", mode: "apply", sha: "a".repeat(40) }, "apply");
    expect(parseRunState(JSON.stringify(state))).toEqual({ ok: true, state });
  });

  it("refuses a state of another version, an unversioned one (before versions existed) and garbage", () => {
    const state = newRunState(7, "apply", { cause: "cron", mode: "apply" }, "apply");
    expect(parseRunState(JSON.stringify({ ...state, version: RUN_STATE_VERSION + 1 }))).toEqual({ ok: false, error: expect.stringContaining(`of version ${RUN_STATE_VERSION + 1}`) });
    const { version: _version, ...unversioned } = state;
    expect(parseRunState(JSON.stringify(unversioned))).toEqual({ ok: false, error: expect.stringContaining("of version null") });
    expect(parseRunState("{not json")).toEqual({ ok: false, error: expect.stringContaining("not JSON") });
  });

  it("refuses a state of this version that does not fit the schema, naming the fields", () => {
    const state = newRunState(7, "apply", { cause: "cron", mode: "apply" }, "apply");
    const parsed = parseRunState(JSON.stringify({ ...state, stage: "teleport", applied: "3" }));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/failed validation: .*stage: .*applied: /);
  });
});
