// Plan renderings read like terraform plan, never contain a token, and stay under GitHub's size limits.
import { describe, expect, it } from "vitest";
import { EXAMPLE_MARKDOWN_OPTIONS, EXAMPLE_OWNER as OWNER, examplePlan as example, exampleSpec as spec } from "../../test/support/plan-example.js";
import { makePlan } from "./plan.js";
import { renderMarkdown, renderText } from "./render.js";

describe("render", () => {
  it("text", () => {
    expect(renderText(example)).toBe(
      [
        "  + ci-runners will be created",
        '  +     description: "CI runners"',
        '  +     metadata: {"team":"platform"}',
        "  +     acl: bind:*.ci.example.com, bind:ci.example.com",
        "",
        "  ~ load-test (cr_LOAD) will be updated in place",
        '  ~     description: "load test" → "nightly load test"',
        "  +     acl: + bind:1.tcp.ngrok.io:20002",
        "  -     acl: - bind:old.example.com",
        "",
        "  -/+ devices (cr_DEV) must be replaced",
        "  !     # owner_id changed: a new credential (and token) is created first, then cr_DEV is deleted",
        '  ~     owner_id: "usr_1" → "bot_2"',
        "",
        "  - old-laptop (cr_OLD) will be deleted",
        "  -     # its spec was removed",
        "",
        "Plan: 2 to create, 1 to update, 2 to delete.",
        "0 unchanged · 1 unmanaged left alone",
        "",
      ].join("\n"),
    );
  });

  it("markdown: summary, a diff block, refusals first; unmanaged credentials only counted", () => {
    const md = renderMarkdown(example, EXAMPLE_MARKDOWN_OPTIONS);
    expect(md.split("\n").slice(0, 5)).toEqual([
      "<!-- ngrok-gitops:plan -->",
      "### ngrok-gitops plan for abc1234",
      "",
      "**Plan: 2 to create, 1 to update, 2 to delete.** 0 unchanged · 1 unmanaged left alone",
      "",
    ]);
    expect(md).toContain("```diff\n+ ci-runners will be created");
    expect(md).not.toContain("cr_THEIRS");
    expect(md).not.toContain("hand-made");
    const refused = renderMarkdown({ ...example, refusals: [{ code: "MAX_DELETES", message: "too many <b>" }] });
    expect(refused).toContain("**Refused: nothing will be applied.**\n\n- ⛔ `MAX_DELETES` `too many <b>`");
  });

  it("no changes", () => {
    const none = { ...example, changes: [] };
    expect(renderText(none).split("\n")[0]).toBe("No changes. The ngrok account matches the specs.");
  });

  it("stays under the size limit, counting what it leaves out", () => {
    const specs = Array.from({ length: 3000 }, (_, i) => spec(`credential-${i}`, { description: "x".repeat(200), acl: ["bind:a.example.com"] }));
    const big = makePlan({ ownerId: OWNER, specs, live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10 });
    const md = renderMarkdown(big, { maxBytes: 65_000 });
    expect(md.length).toBeLessThanOrEqual(65_000);
    expect(md).toMatch(/…and \d+ more changes not shown here/);
    expect(md.split("```").length).toBe(3);
  });

  it("a spec cannot break out of the code block", () => {
    const md = renderMarkdown(makePlan({ ownerId: OWNER, specs: [spec("a", { description: "```\n# pwned\n````" })], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 1 }));
    const lines = md.split("\n");
    const open = lines.findIndex((line) => /^`{3,}diff$/.test(line));
    const fence = (lines[open] ?? "").replace("diff", "");
    const close = lines.findIndex((line, i) => i > open && line.startsWith("```"));
    expect(fence.length).toBeGreaterThan(4);
    expect(lines[close]).toBe(fence);
    expect(lines.slice(open + 1, close)).toEqual(["+ a will be created", '+     description: "```\\n# pwned\\n````"', "+     acl: [] (no restriction)"]);
  });

  it("markdown: refusals and notes are fitted to the budget like changes, whole lines counted, never cut", () => {
    const refusals = Array.from({ length: 500 }, (_, i) => ({ code: "IMPORT_REFUSED" as const, name: `n${i}`, message: `"x_www.evil-example-${i}.com" cannot import cr_${i}: only an unmanaged credential of this account can be imported` }));
    const notes = Array.from({ length: 500 }, (_, i) => `"x_www.evil-example-${i}.com" expires on 2027-01-01 (in 3 days): to keep it, move its expires date in a pull request`);
    const md = renderMarkdown({ ...example, refusals, notes }, { maxBytes: 30_000 });
    expect(md.length).toBeLessThanOrEqual(30_000);
    expect(md).toMatch(/^- …and \d+ more refusals not shown here/m);
    expect(md).toMatch(/^> …and 500 more notes not shown here/m);
    // Every refusal shown is whole, in its code spans.
    for (const line of md.split("\n").filter((l) => l.startsWith("- ⛔"))) expect(line).toMatch(/^- ⛔ `IMPORT_REFUSED` `"x_www\.evil-example-\d+\.com" cannot import cr_\d+: [^`]*`$/);
  });
});
