// `plan --json` is snake_case throughout, like the HTTP API: every change kind, rotations and intents included.
import { describe, expect, it } from "vitest";
import { encodeMetadata } from "../ownership/marker.js";
import { exampleLive, examplePlan, exampleSpec } from "../../test/support/plan-example.js";
import { makePlan } from "../plan/plan.js";
import { renderText } from "../plan/render.js";
import { planJson } from "./plan-json.js";

/** Keys that are not snake_case anywhere in a JSON value, except inside metadata (user data). */
function notSnake(value: unknown, path = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(/^[a-z0-9_]+$/.test(key) || Array.isArray(value) ? [] : [`${path}.${key}`]),
    ...(key === "metadata" ? [] : notSnake(inner, `${path}.${key}`)),
  ]);
}

const rotating = makePlan({
  ownerId: "o",
  specs: [exampleSpec("ci-runners", { rotate_after_ms: 86_400_000, deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }] })],
  live: [{ ...exampleLive("cr_OLD", "ci-runners"), metadata: encodeMetadata(null, { owner: "o", name: "ci-runners" }) }],
  stored: new Map([["ci-runners", "cr_OLD"]]),
  intents: [{ name: "gone", nonce: "n1" }],
  specFiles: 1,
  maxDeletes: 1,
  now: Date.parse("2026-06-01T00:00:00Z"),
  delivered: [],
});

describe("planJson", () => {
  it("has no camelCase key, for every kind of change, rotations and stale intents", () => {
    expect(rotating.changes.map((c) => c.action)).toContain("rotate");
    const withSettings = { ...examplePlan, settings: [{ name: "ci-runners", setting: "rotate_after" as const, before: null, after: "90d" }], settingsSince: "the last apply" };
    for (const plan of [examplePlan, rotating, withSettings]) expect(notSnake(planJson(plan))).toEqual([]);
    expect(planJson(withSettings).settings_since).toBe("the last apply");
    const rotate = planJson(rotating).changes.find((c) => c.action === "rotate");
    expect(rotate).toMatchObject({ retire_at: expect.any(String), retire_body: expect.any(Object) });
  });

  it("carries status, summary and plan_text as /api/status reports a plan run", () => {
    const json = planJson(examplePlan);
    expect(json.owner_id).toBe(examplePlan.ownerId);
    expect(json.status).toBe("succeeded");
    expect(json.summary).toEqual({ create: 2, update: 1, delete: 2 });
    expect(json.plan_text).toBe(renderText(examplePlan));
    expect(json.stale_intents).toEqual(examplePlan.staleIntents);
  });
});
