import { describe, expect, it } from "vitest";
import { targetPlan } from "./target.js";
import type { Change, Plan } from "./types.js";

const spec = (name: string) => ({ name, description: "", metadata: null, acl: [], deliver: [] }) as unknown as Extract<Change, { action: "create" }>["spec"];
const plan: Plan = {
  ownerId: "o",
  changes: [
    { action: "create", name: "a", spec: spec("a"), body: { description: "a" } },
    { action: "update", name: "b", id: "cr_b", fields: [], body: { description: "b" } },
    { action: "delete", name: "c", id: "cr_c", reason: "removed" },
  ],
  deliveries: [{ action: "deliver", name: "a", target: { kind: "repo", key: "acme/x:T", repo: "acme/x", secret: "T" } }],
  retiring: 0,
  unchanged: ["d"],
  unmanaged: 2,
  foreign: 0,
  refusals: [{ code: "MAX_DELETES", message: "too many" }, { code: "PREVENT_DESTROY", name: "c", message: "protected" }],
  notes: [],
  staleIntents: [{ name: "a", nonce: "n1" }, { name: "b", nonce: "n2" }],
};

describe("targetPlan", () => {
  it("keeps only the named credentials' changes, deliveries and stale intents", () => {
    const { plan: p, unknown } = targetPlan(plan, ["a", "b"]);
    expect(p.changes.map((c) => c.name)).toEqual(["a", "b"]);
    expect(p.deliveries.map((d) => d.name)).toEqual(["a"]);
    expect(targetPlan(plan, ["a"]).plan.staleIntents).toEqual([{ name: "a", nonce: "n1" }]);
    // No targeted delete: the account-wide refusal does not apply, and c's own refusal is not ours.
    expect(p.refusals).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it("keeps a targeted credential's refusal and the account-wide ones when a targeted change deletes", () => {
    expect(targetPlan(plan, ["c"]).plan.refusals.map((r) => r.code)).toEqual(["MAX_DELETES", "PREVENT_DESTROY"]);
  });

  it("reports targets that match nothing; an unchanged credential is known", () => {
    const { plan: p, unknown } = targetPlan(plan, ["d", "typo"]);
    expect(p.changes).toEqual([]);
    expect(p.unchanged).toEqual(["d"]);
    expect(unknown).toEqual(["typo"]);
  });
});
