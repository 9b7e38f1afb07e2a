// MAX_DELETES counts every change that ends a credential; scheduled rotations spread over runs; unheld protected tokens are not rotated away.
import { describe, expect, it } from "vitest";
import { encodeMetadata } from "../ownership/marker.js";
import { exampleLive, EXAMPLE_OWNER as OWNER, exampleSpec as spec } from "../../test/support/plan-example.js";
import { makePlan, type PlanInput } from "./plan.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");
const DAY = 86_400_000;
const live = (id: string, name: string, extra: Record<string, unknown> = {}) => exampleLive(id, name, { created_at: "2026-01-01T00:00:00Z", ...extra });
const plan = (input: Partial<PlanInput>) => makePlan({ ownerId: OWNER, specs: [], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 2, now: NOW, ...input });
const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe("MAX_DELETES counts every change that ends a credential", () => {
  it("replaces count: adding owner_id to more credentials than the limit is refused", () => {
    const p = plan({ specs: names(3).map((n) => spec(n, { owner_id: "bot_2" })), live: names(3).map((n) => live(`cr_${n}`, n)) });
    expect(p.changes.map((c) => c.action)).toEqual(["replace", "replace", "replace"]);
    expect(p.refusals).toEqual([{ code: "MAX_DELETES", message: expect.stringContaining("ends 3 credentials (0 deletes, 3 replaces, 0 requested rotations); MAX_DELETES is 2") }]);
    expect(plan({ specs: names(2).map((n) => spec(n, { owner_id: "bot_2" })), live: names(2).map((n) => live(`cr_${n}`, n)) }).refusals).toEqual([]);
  });

  it("deletes and replaces add up; duplicates count; orphans (nobody holds their token) do not", () => {
    const mixed = plan({ specs: [spec("keep", { owner_id: "bot_2" })], live: [live("cr_keep", "keep"), live("cr_gone", "gone"), live("cr_dup", "keep", { created_at: "2026-02-01T00:00:00Z" })] });
    expect(mixed.refusals.map((r) => r.code)).toEqual(["MAX_DELETES"]);
    const orphans = plan({
      live: names(4).map((n) => live(`cr_${n}`, n, { metadata: encodeMetadata(null, { owner: OWNER, name: n, nonce: `nonce-${n}` }) })),
      intents: names(4).map((n) => ({ name: n, nonce: `nonce-${n}` })),
      specs: names(4).map((n) => spec(n)),
    });
    expect(orphans.changes.filter((c) => c.action === "delete")).toHaveLength(4);
    expect(orphans.refusals).toEqual([]);
  });

  it("requested rotations count as hard; allow_deletes lifts it all", () => {
    const input = { specs: names(3).map((n) => spec(n)), live: names(3).map((n) => live(`cr_${n}`, n)), rotateNow: new Set(names(3)), stored: new Map(names(3).map((n) => [n, `cr_${n}`])) };
    expect(plan(input).refusals.map((r) => r.code)).toEqual(["MAX_DELETES"]);
    expect(plan({ ...input, allowDeletes: true }).refusals).toEqual([]);
  });
});

describe("scheduled rotations and retired deletes spread over runs", () => {
  it("rotates at most the room MAX_DELETES leaves, the rest wait with a note, nothing is refused", () => {
    const p = plan({ specs: names(5).map((n) => spec(n, { rotate_after_ms: 30 * DAY })), live: names(5).map((n) => live(`cr_${n}`, n)), stored: new Map(names(5).map((n) => [n, `cr_${n}`])) });
    expect(p.refusals).toEqual([]);
    expect(p.changes.map((c) => `${c.action} ${c.name}`)).toEqual(["rotate c0", "rotate c1"]);
    expect(p.notes.join("\n")).toContain("MAX_DELETES is 2: 3 scheduled rotations (c2, c3, c4) wait for the next runs");
  });

  it("hard changes take the room first; retired deletes go before new rotations", () => {
    const retired = (n: string) => live(`cr_old_${n}`, n, { metadata: encodeMetadata(null, { owner: OWNER, name: n, retire: "2026-05-01T00:00:00Z" }) });
    const p = plan({
      specs: [spec("a", { rotate_after_ms: 30 * DAY }), spec("b", { rotate_after_ms: 30 * DAY })],
      live: [live("cr_a", "a", { created_at: "2026-05-31T00:00:00Z" }), retired("a"), live("cr_b", "b"), live("cr_gone", "gone")],
      stored: new Map([["a", "cr_a"], ["b", "cr_b"]]),
    });
    expect(p.refusals).toEqual([]);
    expect(p.changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual(["delete a", "delete gone"]);
    expect(p.notes.join("\n")).toContain("1 scheduled rotation (b) wait");
  });
});

describe("rotating a prevent_destroy credential whose token is not in the vault", () => {
  const protectedLive = live("cr_p", "p", { metadata: encodeMetadata(null, { owner: OWNER, name: "p", protect: true }) });

  it("is refused when the spec's rotate_after asks for it", () => {
    const p = plan({ specs: [spec("p", { prevent_destroy: true, rotate_after_ms: 30 * DAY })], live: [protectedLive] });
    expect(p.refusals).toEqual([{ code: "ROTATE_UNHELD", name: "p", message: expect.stringContaining("POST /api/credentials/p/rotate") }]);
  });

  it("is left out, with a note, when only the deployment's default asks for it", () => {
    const p = plan({ specs: [spec("p", { prevent_destroy: true })], live: [protectedLive], defaultRotateAfterMs: 30 * DAY });
    expect(p.refusals).toEqual([]);
    expect(p.changes).toEqual([]);
    expect(p.notes.join("\n")).toContain("not rotated (prevent_destroy, token not in the vault");
  });

  it("goes ahead when the operator asks for it by name, or when the vault holds the token", () => {
    expect(plan({ specs: [spec("p", { prevent_destroy: true, rotate_after_ms: 30 * DAY })], live: [protectedLive], rotateNow: new Set(["p"]) }).changes.map((c) => c.action)).toEqual(["rotate"]);
    expect(plan({ specs: [spec("p", { prevent_destroy: true, rotate_after_ms: 30 * DAY })], live: [protectedLive], stored: new Map([["p", "cr_p"]]) }).changes.map((c) => c.action)).toEqual(["rotate"]);
    // Not protected: a plain credential without a stored token rotates as before.
    expect(plan({ specs: [spec("q", { rotate_after_ms: 30 * DAY })], live: [live("cr_q", "q")] }).changes.map((c) => c.action)).toEqual(["rotate"]);
  });
});
