// Persisted run state is versioned: a state written by another version is never resumed as if it were this one.
import { describe, expect, it } from "vitest";
import { diffSlice, sliceContext, startDiff } from "../plan/diff-slice.js";
import { encodeMetadata } from "../ownership/marker.js";
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

  it("keeps the sliced diff's partial result, and refuses one that does not fit its schema", () => {
    const spec = { name: "a", description: "new", metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: 2, column: 5, field: "credentials[0]" } };
    const live = [{ id: "cr_1", uri: "u", created_at: "2026-01-01T00:00:00Z", description: "old", token: null, acl: [], owner_id: "usr_1", metadata: encodeMetadata(null, { owner: "o", name: "a" }) }];
    const context = sliceContext({ ownerId: "o", specs: [spec], stored: new Map(), intents: [], now: 0 });
    const state = { ...newRunState(7, "apply", { cause: "cron", mode: "apply" }, "apply"), stage: "plan" as const, diff: { round: 0, ...diffSlice(startDiff(1), live, context) } };
    expect(state.diff.outcomes).toHaveLength(1);
    expect(parseRunState(JSON.stringify(state))).toEqual({ ok: true, state });
    const broken = parseRunState(JSON.stringify({ ...state, diff: { ...state.diff, offset: -1, met: 3 } }));
    expect(!broken.ok && broken.error).toMatch(/failed validation: .*diff\.offset: .*diff\.met: /);
  });
});
