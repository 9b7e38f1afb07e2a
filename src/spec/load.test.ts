// The validator: every kind of bad input gets a precise message with file, line, column and field.
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { isSpecPath, loadSpecs, type LoadResult } from "./load.js";

const OWNER = "test-owner";

function load(files: Record<string, string>): LoadResult {
  return loadSpecs(
    Object.entries(files).map(([path, content]) => ({ path, content })),
    { ownerId: OWNER },
  );
}

function messages(files: Record<string, string>): string[] {
  const result = load(files);
  if (result.ok) throw new Error("expected errors");
  return result.errors.map(formatSpecError);
}

const one = (body: string) => messages({ "credentials/a.yaml": body });

describe("valid specs", () => {
  it("normalises a full credential", () => {
    const result = load({
      "credentials/ci.yaml": [
        "# yaml-language-server: $schema=../schema/credentials.schema.json",
        "credentials:",
        "  - name: ci-runners",
        "    description: CI runners",
        "    metadata: {team: platform, tier: 1}",
        "    acl: [bind:ci.example.com, 'bind:*.ci.example.com', bind:env=ci, bind:1.tcp.ngrok.io:20002, bind:ci.example.com]",
        "    owner_id: bot_2abc",
        "    prevent_destroy: true",
        "    rotate_after: 90d",
        "    deliver:",
        "      - github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN}",
      ].join("\n"),
    });
    expect(result).toEqual({
      ok: true,
      files: 1,
      specs: [
        {
          name: "ci-runners",
          description: "CI runners",
          metadata: { team: "platform", tier: 1 },
          acl: ["bind:*.ci.example.com", "bind:1.tcp.ngrok.io:20002", "bind:ci.example.com", "bind:env=ci"],
          owner_id: "bot_2abc",
          prevent_destroy: true,
          deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }],
          rotate_after_ms: 90 * 86_400_000,
          source: { file: "credentials/ci.yaml", line: 3, column: 11, field: "credentials[0]" },
        },
      ],
    });
  });

  it("defaults omitted fields and accepts every ACL form", () => {
    const result = load({
      "credentials/x/y.yml": "credentials:\n  - name: a\n    acl: ['*', 'bind:*=*', 'bind:*=prod', 'bind:env=*', 'bind:a-b.c_d=v.1']\n  - name: b\n    metadata: just a string\n",
      "credentials/empty.yaml": "credentials: []\n",
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.specs.map((s) => [s.name, s.description, s.metadata, s.acl.length, s.prevent_destroy])).toEqual([
      ["a", "", null, 5, false],
      ["b", "", "just a string", 0, false],
    ]);
  });

  it("recognises spec paths", () => {
    expect(isSpecPath("credentials/a.yaml")).toBe(true);
    expect(isSpecPath("credentials/team/b.yml")).toBe(true);
    expect(isSpecPath("credentials/readme.md")).toBe(false);
    expect(isSpecPath("other/a.yaml")).toBe(false);
    expect(isSpecPath("credentials.yaml")).toBe(false);
  });
});

describe("rejections, with exact messages", () => {
  it("unknown keys, at the key, listing the allowed ones", () => {
    expect(one("credentials:\n  - name: a\n    descripton: typo\n")).toEqual([
      'credentials/a.yaml:3:5: credentials[0].descripton: unknown key "descripton" (allowed: name, description, metadata, acl, owner_id, prevent_destroy, import, deliver, rotate_after)',
    ]);
    expect(one("credentials: []\nextra: 1\n")).toEqual([
      'credentials/a.yaml:2:1: extra: unknown key "extra" (a spec file has only `credentials`)',
    ]);
  });

  it("wrong types and missing fields", () => {
    expect(one("credentials:\n  - description: x\n  - name: 5\n  - name: b\n    acl: bind:x.com\n  - name: c\n    prevent_destroy: yes-please\n")).toEqual([
      "credentials/a.yaml:2:5: credentials[0].name: required",
      "credentials/a.yaml:3:11: credentials[1].name: expected a string, got number (5)",
      'credentials/a.yaml:5:10: credentials[2].acl: expected a list, got a string ("bind:x.com")',
      'credentials/a.yaml:7:22: credentials[3].prevent_destroy: expected a boolean, got a string ("yes-please")',
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: [1, 2]\n")).toEqual([
      "credentials/a.yaml:3:15: credentials[0].metadata: expected a mapping or a string, got a list",
    ]);
    expect(one("credentials: {}\n")).toEqual(["credentials/a.yaml:1:14: credentials: expected a list, got a mapping"]);
    expect(one("- name: a\n")).toEqual(["credentials/a.yaml:1:1: expected a mapping with a `credentials` list, got a list"]);
    expect(one("{}\n")).toEqual(["credentials/a.yaml:1:1: credentials: required: a list of credentials"]);
    expect(one("")).toEqual(["credentials/a.yaml:1:1: file is empty: expected a mapping with a `credentials` list"]);
  });

  it("names: pattern and uniqueness across files", () => {
    expect(one("credentials:\n  - name: CI_Runners\n")).toEqual([
      'credentials/a.yaml:2:11: credentials[0].name: "CI_Runners" is not a valid name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit',
    ]);
    expect(one(`credentials:\n  - name: ${"a".repeat(64)}\n`)[0]).toContain("is not a valid name");
    expect(load({ "credentials/a.yaml": `credentials:\n  - name: ${"a".repeat(63)}\n` }).ok).toBe(true);
    expect(
      messages({
        "credentials/a.yaml": "credentials:\n  - name: web\n",
        "credentials/team/b.yaml": "credentials:\n  - name: other\n  - name: web\n",
      }),
    ).toEqual([
      'credentials/team/b.yaml:3:11: credentials[1].name: "web" is already defined at credentials/a.yaml:2:11; names are unique across all files',
    ]);
  });

  it("byte limits count UTF-8 bytes, not characters", () => {
    // 128 × "é" = 128 characters but 256 bytes.
    expect(one(`credentials:\n  - name: a\n    description: ${"é".repeat(128)}\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0].description: is 256 bytes (UTF-8); the limit is 255",
    ]);
    expect(load({ "credentials/a.yaml": `credentials:\n  - name: a\n    description: ${"é".repeat(127)}x\n` }).ok).toBe(true);
    expect(one(`credentials:\n  - name: a\n    description: ${"x".repeat(300)}\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0].description: is 300 bytes (UTF-8); the limit is 255",
    ]);
  });

  it("metadata is counted as sent, ownership marker included", () => {
    // The marker for owner "test-owner" and name "a" costs a fixed number of bytes; find the edge exactly.
    const fits = (n: number) => load({ "credentials/a.yaml": `credentials:\n  - name: a\n    metadata: ${"x".repeat(n)}\n` }).ok;
    let n = 4096;
    while (!fits(n)) n--;
    expect(n).toBeGreaterThan(3900);
    expect(fits(n + 1)).toBe(false);
    expect(one(`credentials:\n  - name: a\n    metadata: ${"x".repeat(n + 1)}\n`)).toEqual([
      "credentials/a.yaml:3:15: credentials[0].metadata: is 4097 bytes as sent (UTF-8 JSON, ownership marker included); the limit is 4096",
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: {ngrok-gitops: mine}\n")).toEqual([
      'credentials/a.yaml:3:16: credentials[0].metadata["ngrok-gitops"]: "ngrok-gitops" is reserved for the ownership marker',
    ]);
  });

  it("ACL rules: each bad form explained", () => {
    const bad = ["connect:x.com", "bind:", "bind:Example.com", "bind:a*b.com", " bind:x.com", "bind:x.com:0", "bind:x.com:65536", "bind:*", "bind:*.x.com:80", "bind:=v", "bind:k="];
    const out = one(`credentials:\n  - name: a\n    acl:\n${bad.map((r) => `      - ${JSON.stringify(r)}`).join("\n")}\n`);
    expect(out).toEqual([
      'credentials/a.yaml:4:9: credentials[0].acl[0]: invalid ACL rule "connect:x.com": must be "*" or start with "bind:" (the only rule ngrok supports)',
      'credentials/a.yaml:5:9: credentials[0].acl[1]: invalid ACL rule "bind:": names nothing after "bind:"',
      'credentials/a.yaml:6:9: credentials[0].acl[2]: invalid ACL rule "bind:Example.com": hostnames must be lowercase',
      'credentials/a.yaml:7:9: credentials[0].acl[3]: invalid ACL rule "bind:a*b.com": a hostname wildcard may only be a leading "*." (e.g. bind:*.example.com)',
      'credentials/a.yaml:8:9: credentials[0].acl[4]: invalid ACL rule " bind:x.com": has leading or trailing white space',
      'credentials/a.yaml:9:9: credentials[0].acl[5]: invalid ACL rule "bind:x.com:0": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:10:9: credentials[0].acl[6]: invalid ACL rule "bind:x.com:65536": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:11:9: credentials[0].acl[7]: invalid ACL rule "bind:*": a hostname wildcard may only be a leading "*." (e.g. bind:*.example.com)',
      'credentials/a.yaml:12:9: credentials[0].acl[8]: invalid ACL rule "bind:*.x.com:80": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:13:9: credentials[0].acl[9]: invalid ACL rule "bind:=v": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:14:9: credentials[0].acl[10]: invalid ACL rule "bind:k=": is not a hostname, host:port or key=value label rule',
    ]);
  });

  it("other fields: owner_id, import, rotate_after, deliver", () => {
    expect(
      one(
        [
          "credentials:",
          "  - name: a",
          "    owner_id: alan@example.com",
          "    import: 2TMG",
          "    rotate_after: 3 months",
          "    deliver:",
          "      - github_actions_secret: {repo: not-a-repo, name: GITHUB_TOKEN, env: x}",
        ].join("\n"),
      ),
    ).toEqual([
      'credentials/a.yaml:3:15: credentials[0].owner_id: "alan@example.com" is not a user or bot id (usr_… or bot_…); emails are not accepted because ngrok reports ids',
      'credentials/a.yaml:4:13: credentials[0].import: "2TMG" is not a credential id (cr_…)',
      'credentials/a.yaml:5:19: credentials[0].rotate_after: "3 months" is not a duration: a whole number and one unit of m, h, d or w (e.g. 90d)',
      'credentials/a.yaml:7:39: credentials[0].deliver[0].github_actions_secret.repo: "not-a-repo" is not a repository (owner/name)',
      'credentials/a.yaml:7:57: credentials[0].deliver[0].github_actions_secret.name: "GITHUB_TOKEN" is not a GitHub secret name: letters, digits and "_", not starting with a digit or GITHUB_',
      'credentials/a.yaml:7:71: credentials[0].deliver[0].github_actions_secret.env: unknown key "env"',
    ]);
    expect(
      messages({
        "credentials/a.yaml": "credentials:\n  - name: a\n    import: cr_1\n  - name: b\n    import: cr_1\n",
      }),
    ).toEqual(['credentials/a.yaml:4:11: credentials[1].import: cr_1 is already imported by "a" (credentials/a.yaml:2)']);
  });

  it("YAML syntax errors and duplicate keys, with positions", () => {
    const [syntax] = one("credentials:\n  - name: a\n   bad: [\n");
    expect(syntax).toMatch(/^credentials\/a\.yaml:\d+:\d+: /);
    expect(one("credentials:\n  - name: a\n    name: b\n")).toEqual(["credentials/a.yaml:3:5: Map keys must be unique"]);
    expect(one("credentials: []\n---\ncredentials: []\n")).toEqual(["credentials/a.yaml:2:1: a spec file holds one YAML document; found a second"]);
  });

  it("resource limits: alias bombs, depth, size, file count", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]", "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]", "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]", "credentials: []"].join("\n");
    expect(one(bomb)).toEqual(["credentials/a.yaml:1:1: aliases expand too much (possible resource exhaustion)"]);
    expect(one(`credentials:\n  - name: a\n    metadata: {k: ${"[".repeat(40)}${"]".repeat(40)}}\n`)).toEqual([
      "credentials/a.yaml:1:1: document is nested deeper than 32 levels",
    ]);
    const big = loadSpecs([{ path: "credentials/a.yaml", content: "#".repeat(2000) }], { ownerId: OWNER, maxFileBytes: 1000 });
    expect(big.ok ? [] : big.errors.map(formatSpecError)).toEqual(["credentials/a.yaml:1:1: file is 2000 bytes; the limit is 1000"]);
    const many = loadSpecs(
      Array.from({ length: 3 }, (_, i) => ({ path: `credentials/${i}.yaml`, content: "credentials: []" })),
      { ownerId: OWNER, maxFiles: 2 },
    );
    expect(many.ok ? [] : many.errors.map(formatSpecError)).toEqual(["credentials/2.yaml:1:1: 3 spec files; at most 2 are read"]);
  });

  it("reports every error of every file together", () => {
    const result = load({
      "credentials/a.yaml": "credentials:\n  - name: A\n",
      "credentials/b.yaml": "credentials:\n  - name: b\n    acl: [nope]\n",
      "credentials/c.yaml": "oops: [",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(new Set(result.errors.map((e) => e.file))).toEqual(new Set(["credentials/a.yaml", "credentials/b.yaml", "credentials/c.yaml"]));
    for (const error of result.errors) {
      expect(error.line).toBeGreaterThan(0);
      expect(error.column).toBeGreaterThan(0);
      expect(error.code).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe("deliver targets", () => {
  it("accepts organisation secrets and refuses an entry naming no target or two", () => {
    const ok = load({ "credentials/a.yaml": "credentials:\n  - name: a\n    deliver:\n      - github_actions_org_secret: {org: acme, name: NGROK_AUTHTOKEN, visibility: all}\n" });
    expect(ok.ok && ok.specs[0]?.deliver).toEqual([{ github_actions_org_secret: { org: "acme", name: "NGROK_AUTHTOKEN", visibility: "all" } }]);
    expect(
      one(
        [
          "credentials:",
          "  - name: a",
          "    deliver:",
          "      - {}",
          "      - github_actions_secret: {repo: acme/site, name: X}",
          "        github_actions_org_secret: {org: acme, name: X}",
          "      - github_actions_org_secret: {org: acme, name: X, visibility: selected}",
        ].join("\n"),
      ),
    ).toEqual([
      "credentials/a.yaml:4:9: credentials[0].deliver[0]: names exactly one target: github_actions_secret or github_actions_org_secret",
      "credentials/a.yaml:5:9: credentials[0].deliver[1]: names exactly one target: github_actions_secret or github_actions_org_secret",
      'credentials/a.yaml:7:69: credentials[0].deliver[2].github_actions_org_secret.visibility: "selected" is not one of "all", "private"',
    ]);
  });
});

describe("complex keys", () => {
  it("nested mapping keys are refused, never stringified (that was exponential: depth 31 never finished)", () => {
    for (const depth of [8, 20, 31]) {
      const content = `credentials:\n  - name: deep\n    metadata:\n      k: ${"? ".repeat(depth)}\n`;
      const result = load({ "credentials/a.yaml": content });
      expect(result.ok).toBe(false);
    }
  });
});
