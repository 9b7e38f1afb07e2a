// The public view (PR comment, check) says nothing about credentials we do not own; the operator's text keeps the details.
import { describe, expect, it } from "vitest";
import { encodeMetadata } from "../ownership/marker.js";
import { exampleLive as live, EXAMPLE_OWNER as OWNER, exampleSpec as spec } from "../../test/support/plan-example.js";
import { makePlan } from "./plan.js";
import { renderApplyMarkdown, renderMarkdown, renderText } from "./render.js";

const handMade = { id: "cr_HAND", uri: "", created_at: "2026-01-01T00:00:00Z", token: null, acl: ["bind:secret-host.example.com"], owner_id: "usr_1", description: "Alice's laptop", metadata: '{"vpn":"10.0.0.7"}' };
const foreign = live("cr_FOREIGN", "theirs", { metadata: encodeMetadata(null, { owner: "other-installation", name: "theirs" }), description: "other team" });
const ours = live("cr_OURS", "mine");
const planFor = (importId: string, name = "adopted") =>
  makePlan({ ownerId: OWNER, specs: [spec("mine"), spec(name, { import: importId, description: "adopted by us", acl: ["bind:new.example.com"] })], live: [handMade, foreign, ours], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10 });

describe("public rendering of imports", () => {
  it("an import shows the values the spec sets, never those it finds", () => {
    const plan = planFor("cr_HAND");
    expect(plan.changes.map((c) => c.action)).toContain("import");
    const md = renderMarkdown(plan);
    for (const secret of ["Alice", "10.0.0.7", "secret-host", "vpn"]) expect(md).not.toContain(secret);
    expect(md).toContain("<= adopted (cr_HAND) will be imported");
    expect(md).toContain('+     description: "adopted by us"');
    expect(md).toContain("+     acl: bind:new.example.com");
    // The operator's text shows the before values.
    expect(renderText(plan)).toContain("Alice's laptop");
    expect(renderText(plan, { audience: "public" })).not.toContain("Alice's laptop");
  });

  it("every import refusal reads the same to a pull request: absent, another installation's, ours", () => {
    const rendered = [planFor("cr_MISSINGXXXXXXXXXXXXXXXXXX"), planFor("cr_FOREIGN"), planFor("cr_OURS")].map((plan, i) => {
      const ids = ["cr_MISSINGXXXXXXXXXXXXXXXXXX", "cr_FOREIGN", "cr_OURS"];
      expect(plan.refusals.map((r) => r.code)).toEqual(["IMPORT_REFUSED"]);
      return { md: renderMarkdown(plan).replaceAll(ids[i] ?? "", "ID"), public: renderText(plan, { audience: "public" }).replaceAll(ids[i] ?? "", "ID"), operator: renderText(plan) };
    });
    expect(rendered[1]?.md).toBe(rendered[0]?.md);
    expect(rendered[1]?.public).toBe(rendered[0]?.public);
    const refusalLines = (text: string) => text.split("\n").filter((line) => line.includes("IMPORT_REFUSED"));
    expect(refusalLines(rendered[2]?.md ?? "")).toEqual(refusalLines(rendered[0]?.md ?? ""));
    expect(refusalLines(rendered[0]?.md ?? "")).toHaveLength(1);
    expect(rendered[0]?.md).not.toMatch(/does not exist|managed by another installation|already managed as/);
    expect(rendered[0]?.operator).toContain("does not exist on this account");
    expect(rendered[1]?.operator).toContain("managed by another installation");
    expect(rendered[2]?.operator).toContain('already managed as "mine"');
  });
});

describe("renderApplyMarkdown", () => {
  it("fits GitHub's byte limit with whole changes shown, the rest counted, the summary always there", () => {
    // Multi-byte text makes bytes, not characters, the measure (a check's output is limited to 65,535 bytes).
    const specs = Array.from({ length: 300 }, (_, i) => spec(`fleet-${i}`, { description: `🔑 Zürich agent ${i}: tunnels for the payments team`, acl: [`bind:fleet-${i}.example.com`] }));
    const plan = makePlan({ ownerId: OWNER, specs, live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10 });
    const md = renderApplyMarkdown({ title: "Applied", plan, errors: ["create fleet-299: ngrok said no"], maxBytes: 20_000 });
    expect(new TextEncoder().encode(md).length).toBeLessThanOrEqual(20_000);
    const shown = md.match(/\+ fleet-\d+ will be created/g)?.length ?? 0;
    const hidden = Number(/…and (\d+) more not shown here/.exec(md)?.[1]);
    expect(shown).toBeGreaterThan(50);
    expect(shown + hidden).toBe(300);
    expect(md).toContain("Plan: 300 to create, 0 to update, 0 to delete.");
    expect(md).toContain("`create fleet-299: ngrok said no`");
    // A plan that fits is whole.
    expect(renderApplyMarkdown({ title: "Applied", plan, errors: [], maxBytes: 1_000_000 })).not.toContain("not shown here");
  });

  it("shows the public plan in a code block and errors in code spans", () => {
    const plan = planFor("cr_HAND");
    const md = renderApplyMarkdown({ title: "Applied", plan, errors: ["update x: ngrok said \"\u202e@acme [x](https://evil)\"\n# heading"] });
    expect(md).not.toContain("Alice");
    expect(md).toContain("<= adopted (cr_HAND) will be imported");
    expect(md).not.toMatch(/[\u202e]|\n# heading/);
    expect(md.split("\n").filter((line) => line.startsWith("#"))).toEqual(["### Applied"]);
  });
});
