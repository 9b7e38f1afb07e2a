// plan_text rendered in pieces reads exactly as rendered whole: the run renders a big plan's lines over several invocations.
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import { makePlan } from "./plan.js";
import { changesText, unshownLine } from "./render-pieces.js";
import { renderText } from "./render.js";

const spec = (i: number): CredentialSpec => ({ name: `svc-${i}`, description: `agent ${i}`, metadata: null, acl: ["bind:x.example"], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: i + 2, column: 5, field: `credentials[${i}]` } });

describe("plan_text in pieces", () => {
  const plan = makePlan({ ownerId: "o", specs: Array.from({ length: 7 }, (_, i) => spec(i)), live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10 });

  it("pieces of any size put together are the text renderText gives", () => {
    for (const cut of [0, 1, 3, 7]) {
      const pieces = changesText(plan.changes.slice(0, cut)) + changesText(plan.changes.slice(cut));
      expect(renderText(plan, { changes: pieces })).toBe(renderText(plan));
    }
  });

  it("a plan without changes reads the same with no pieces", () => {
    const empty = { ...plan, changes: [] };
    expect(renderText(empty, { changes: "" })).toBe(renderText(empty));
  });

  it("lines cut at the cap end with a count of the changes not shown", () => {
    const text = renderText(plan, { changes: changesText(plan.changes.slice(0, 2)) + unshownLine(5) });
    expect(text).toContain("svc-1");
    expect(text).not.toContain("svc-2");
    expect(text).toMatch(/…and 5 more changes not shown: plan_text keeps about 900 KB/);
    expect(text).toContain("Plan: 7 to create");
  });
});
