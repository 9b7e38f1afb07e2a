// The js-yaml fast path gives exactly what the positional parser gives, positions included, or steps aside.
import fc from "fast-check";
import { expect, it } from "vitest";
import { loadSpecs } from "./load.js";

const names = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
const text = fc.oneof(
  fc.constantFrom("plain words", "yes", "no", "on", "1_000", "0x1F", "0o17", "1e3", ".inf", "~", "null", "2026-01-01", "'quoted'", "a: b", "# not a comment", "é ü 漢字", "tab\there", ""),
  fc.string({ maxLength: 30 }),
);
const scalarYaml = (value: string) => JSON.stringify(value);

const credential = fc.record({
  name: names,
  nameStyle: fc.constantFrom("plain", "double", "single", "flow"),
  description: fc.option(text, { nil: undefined }),
  metadata: fc.option(fc.oneof(text.map((t) => ({ kind: "string" as const, t })), fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 3 }).map((m) => ({ kind: "map" as const, m }))), { nil: undefined }),
  acl: fc.option(fc.array(fc.constantFrom("*", "bind:a.example.com", "bind:*.example.com", "bind:env=*", "bind:1.tcp.ngrok.io:20002"), { maxLength: 3 }), { nil: undefined }),
  comment: fc.boolean(),
  protect: fc.option(fc.boolean(), { nil: undefined }),
});

function render(items: fc.Arbitrary<unknown> extends never ? never : Array<typeof credential extends fc.Arbitrary<infer T> ? T : never>): string {
  const lines = ["# yaml-language-server: $schema=../schema/credentials.schema.json", "credentials:"];
  for (const item of items) {
    const name = item.nameStyle === "double" ? `"${item.name}"` : item.nameStyle === "single" ? `'${item.name}'` : item.name;
    if (item.nameStyle === "flow") {
      lines.push(`  - {name: ${item.name}${item.description !== undefined ? `, description: ${scalarYaml(item.description)}` : ""}}`);
      continue;
    }
    lines.push(`  - name: ${name}${item.comment ? "   # the name" : ""}`);
    if (item.description !== undefined) lines.push(`    description: ${scalarYaml(item.description)}`);
    if (item.metadata?.kind === "string") lines.push(`    metadata: ${scalarYaml(item.metadata.t)}`);
    if (item.metadata?.kind === "map") {
      lines.push("    metadata:");
      for (const [k, v] of Object.entries(item.metadata.m)) lines.push(`      ${k}: ${v === null ? "null" : typeof v === "string" ? scalarYaml(v) : String(v)}`);
      if (Object.keys(item.metadata.m).length === 0) lines[lines.length - 1] = "    metadata: {}";
    }
    if (item.acl !== undefined) lines.push(`    acl: [${item.acl.map((r) => `'${r}'`).join(", ")}]`);
    if (item.protect !== undefined) lines.push(`    prevent_destroy: ${item.protect}`);
  }
  return `${lines.join("\n")}\n`;
}

// Each run parses every file twice: seconds on a loaded 2-core runner.
it("fast and positional parses agree on every generated file (results, errors and positions)", { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(credential, { maxLength: 6 }), (items) => {
      const content = render(items);
      const sources = [{ path: "credentials/x.yaml", content }];
      const fast = loadSpecs(sources, { ownerId: "o" });
      const slow = loadSpecs(sources, { ownerId: "o", fastParse: false });
      expect(fast).toEqual(slow);
    }),
    { numRuns: 1500 },
  );
});

it("steps aside for aliases, duplicate keys and unplaceable names", () => {
  const cases = [
    "base: &b {team: x}\ncredentials:\n  - name: a\n    metadata: *b\n",
    "credentials:\n  - name: a\n    name: b\n",
    "credentials:\n  - {name: a}\n  - name: b\n",
  ];
  for (const content of cases) {
    const sources = [{ path: "credentials/x.yaml", content }];
    expect(loadSpecs(sources, { ownerId: "o" })).toEqual(loadSpecs(sources, { ownerId: "o", fastParse: false }));
  }
});

it("takes the fast path for ordinary files (block-style names, no aliases)", async () => {
  const { parseFast } = await import("./fast-parse.js");
  const { readFileSync } = await import("node:fs");
  for (const path of ["credentials/ci.yaml", "credentials/teams/devices.yaml"]) {
    const content = readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
    expect(parseFast(content), path).not.toBeNull();
  }
  fc.assert(
    // Names YAML reads as strings when plain (not 0, true, null…): those files are valid, so the fast path serves them.
    fc.property(fc.array(credential.filter((c) => c.nameStyle !== "flow" && /^[a-z]/.test(c.name) && !["true", "false", "null"].includes(c.name)), { minLength: 1, maxLength: 5 }), (items) => {
      expect(parseFast(render(items))).not.toBeNull();
    }),
    { numRuns: 300 },
  );
});
