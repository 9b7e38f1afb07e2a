// A plan over specs of kinds the run does not apply yet says so, and refuses a credential whose owner it cannot resolve.
import { describe, expect, it } from "vitest";
import { loadSpecs } from "../desired/load.js";
import { guardUnappliedKinds } from "./kinds-guard.js";
import { makePlan } from "./plan.js";

const load = (content: string) => {
  const loaded = loadSpecs([{ path: "credentials/a.yaml", content }], { ownerId: "o" });
  if (!loaded.ok) throw new Error("invalid");
  return loaded;
};
const planOf = (content: string) => {
  const loaded = load(content);
  const plan = makePlan({ ownerId: "o", specs: loaded.specs, live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10, now: 0 });
  return guardUnappliedKinds(plan, loaded.specs, loaded.kinds);
};

describe("guardUnappliedKinds", () => {
  it("notes the specs of other kinds instead of saying nothing about them", () => {
    expect(planOf("service_users:\n  - name: ci\napi_keys:\n  - name: a\n  - name: b\n").notes).toEqual(["1 service user, 2 API keys in the specs are validated, but this run does not apply them yet (only credentials are applied)"]);
    expect(planOf("credentials:\n  - name: web\n").notes).toEqual([]);
  });

  it("refuses a credential with owner: rather than create it under the account", () => {
    const plan = planOf("service_users:\n  - name: ci\ncredentials:\n  - name: web\n    owner: ci\n");
    expect(plan.refusals.map((r) => [r.code, r.name])).toEqual([["OWNER_UNRESOLVED", "web"]]);
  });
});
