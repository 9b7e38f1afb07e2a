// Rendering a plan for GitHub is bounded by its byte cap: change lines past what fits are counted, never rendered.
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import { makePlan } from "./plan.js";
import { renderApplyMarkdown, renderMarkdown } from "./render.js";
import type { Change, Plan } from "./types.js";

const spec = (i: number): CredentialSpec => ({ name: `svc-${String(i).padStart(5, "0")}`, description: `agent ${i}`, metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: i + 2, column: 5, field: `credentials[${i}]` } });

describe("rendering a plan of 10,000 changes", () => {
  // The first 2,000 changes are real; the rest would throw if anything rendered them (the summary only counts actions).
  const planned = makePlan({ ownerId: "o", specs: Array.from({ length: 2_000 }, (_, i) => spec(i)), live: [], stored: new Map(), intents: [], specFiles: 20, maxDeletes: 10 });
  const unrenderable = new Proxy({}, {
    get: (_target, key) => {
      if (key === "action") return "create";
      throw new Error("rendered a change past the byte cap");
    },
  }) as Change;
  const plan: Plan = { ...planned, changes: [...planned.changes, ...Array.from({ length: 8_000 }, () => unrenderable)] };

  it("the comment renders only the lines that fit its 60 KB and counts the rest", () => {
    const text = renderMarkdown(plan, { title: "plan" });
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text).toMatch(/…and \d+ more changes not shown here/);
  });

  it("so does the apply check", () => {
    const text = renderApplyMarkdown({ title: "applied", plan, errors: [] });
    expect(text).toMatch(/…and \d+ more not shown here/);
  });
});
