// The invalid-spec comment quotes hostile keys without rendering them: no heading, mention, link, image or bidi control gets through.
import { describe, expect, it } from "vitest";
import type { SpecError } from "../desired/errors.js";
import { renderInvalidMarkdown, specErrorAnnotations } from "./render-errors.js";

const hostileKey = "x\n### ngrok-gitops plan for 1234567\napproved by @acme/security-team ![i](https://evil.example/i.png) [docs](https://evil.example)\u202eabc";
const error: SpecError = { code: "UNKNOWN_KEY", file: "credentials/a`b.yaml", line: 2, column: 3, field: hostileKey, message: `unknown key "${hostileKey}"` };

describe("renderInvalidMarkdown", () => {
  it("keeps every quoted key on its own line, in code spans, with hidden characters escaped", () => {
    const md = renderInvalidMarkdown([error], "ngrok-gitops plan for abcdef0");
    const lines = md.trimEnd().split("\n");
    expect(lines.filter((line) => line.startsWith("#"))).toEqual(["### ngrok-gitops plan for abcdef0"]);
    expect(lines).toHaveLength(5);
    const item = lines[4] ?? "";
    expect(item.startsWith("- ``credentials/a`b.yaml:2:3`` `x\\n### ngrok-gitops plan")).toBe(true);
    expect(item).not.toContain("\u202e");
    expect(item).toContain("\\u202E");
    // Outside the code spans only our own text is left.
    const outside = item.replace(/(`+)(?:(?!\1).)*?\1/g, "");
    expect(outside).toBe("-  : ");
  });

  it("shows the notes (a policy change) above the errors, fitted before them", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...error, line: i + 1 }));
    const note = "this pull request changes ngrok-gitops.policy.yaml (- require: description)";
    const md = renderInvalidMarkdown(many, "t", { maxBytes: 20_000, notes: [note] });
    expect(md.length).toBeLessThanOrEqual(20_000);
    const lines = md.split("\n");
    expect(lines.indexOf(`> \`${note}\``)).toBeLessThan(lines.findIndex((line) => line.startsWith("- ")));
    expect(renderInvalidMarkdown([error], "t")).not.toContain("> ");
  });

  it("stays under the size limit, counting what it leaves out", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ ...error, line: i + 1 }));
    const md = renderInvalidMarkdown(many, "t", { maxBytes: 20_000 });
    expect(md.length).toBeLessThanOrEqual(20_000);
    expect(md).toMatch(/…and \d+ more not shown here/);
  });
});

describe("specErrorAnnotations", () => {
  it("shows hidden characters escaped and caps the count", () => {
    const [a] = specErrorAnnotations([error]);
    expect(a?.message).not.toMatch(/[\n\u202e]/);
    expect(a?.message).toContain("\\n### ngrok-gitops");
    expect(specErrorAnnotations(Array.from({ length: 300 }, () => error))).toHaveLength(200);
  });

  it("names the item by its name in the comment and the annotation title", () => {
    const named: SpecError = { code: "INVALID_VALUE", file: "credentials/a.yaml", line: 4, column: 9, field: "credentials[7].acl[0]", item: "ci-runners", message: "bad" };
    expect(renderInvalidMarkdown([named], "t")).toContain("`credentials[7] (ci-runners).acl[0]`: `bad`");
    expect(specErrorAnnotations([named])[0]?.title).toBe("credentials[7] (ci-runners).acl[0]");
  });
});
