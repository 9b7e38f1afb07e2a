// Persisted run state is versioned: a state written by another version is never resumed as if it were this one.
import { describe, expect, it } from "vitest";
import { newRunState, parseRunState, RUN_STATE_VERSION } from "./state.js";

describe("run state", () => {
  it("round-trips through JSON", () => {
    const state = newRunState(7, "apply", { cause: "push", mode: "apply", sha: "a".repeat(40) }, "apply");
    expect(parseRunState(JSON.stringify(state))).toEqual(state);
  });

  it("refuses a state of another version, an unversioned one (before versions existed) and garbage", () => {
    const state = newRunState(7, "apply", { cause: "cron", mode: "apply" }, "apply");
    expect(parseRunState(JSON.stringify({ ...state, version: RUN_STATE_VERSION + 1 }))).toBeNull();
    const { version: _version, ...unversioned } = state;
    expect(parseRunState(JSON.stringify(unversioned))).toBeNull();
    expect(parseRunState("{not json")).toBeNull();
  });
});
