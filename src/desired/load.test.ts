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
      kinds: { service_users: [], api_keys: [], ssh_credentials: [] },
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
      'credentials/a.yaml:3:5: credentials[0] (a).descripton: unknown key "descripton": did you mean "description"? (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
    ]);
    expect(one("credentials: []\nextra: 1\n")).toEqual([
      'credentials/a.yaml:2:1: extra: unknown key "extra" (a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`)',
    ]);
  });

  it("wrong types and missing fields", () => {
    expect(one("credentials:\n  - description: x\n  - name: 5\n  - name: b\n    acl: bind:x.com\n  - name: c\n    prevent_destroy: yes-please\n")).toEqual([
      "credentials/a.yaml:2:5: credentials[0].name: required",
      "credentials/a.yaml:3:11: credentials[1].name: expected a string, got number (5)",
      'credentials/a.yaml:5:10: credentials[2] (b).acl: expected a list, got a string ("bind:x.com")',
      'credentials/a.yaml:7:22: credentials[3] (c).prevent_destroy: expected a boolean, got a string ("yes-please")',
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: [1, 2]\n")).toEqual([
      "credentials/a.yaml:3:15: credentials[0] (a).metadata: expected a mapping or a string, got a list",
    ]);
    expect(one("credentials: {}\n")).toEqual(["credentials/a.yaml:1:14: credentials: expected a list, got a mapping"]);
    expect(one("- name: a\n")).toEqual(["credentials/a.yaml:1:1: expected a mapping with a `credentials` list, got a list"]);
    expect(one("{}\n")).toEqual(["credentials/a.yaml:1:1: credentials: required: a list of credentials (or of service_users, api_keys, ssh_credentials)"]);
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
      'credentials/team/b.yaml:3:11: credentials[1] (web).name: "web" is already defined at credentials/a.yaml:2:11; names are unique across all files',
    ]);
  });

  it("byte limits count UTF-8 bytes, not characters", () => {
    // 128 × "é" = 128 characters but 256 bytes.
    expect(one(`credentials:\n  - name: a\n    description: ${"é".repeat(128)}\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0] (a).description: is 256 bytes (UTF-8); the limit is 255",
    ]);
    expect(load({ "credentials/a.yaml": `credentials:\n  - name: a\n    description: ${"é".repeat(127)}x\n` }).ok).toBe(true);
    expect(one(`credentials:\n  - name: a\n    description: ${"x".repeat(300)}\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0] (a).description: is 300 bytes (UTF-8); the limit is 255",
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
      "credentials/a.yaml:3:15: credentials[0] (a).metadata: is 4097 bytes as sent (UTF-8 JSON, ownership marker included); the limit is 4096",
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: {ngrok-gitops: mine}\n")).toEqual([
      'credentials/a.yaml:3:16: credentials[0] (a).metadata["ngrok-gitops"]: "ngrok-gitops" is reserved for the ownership marker',
    ]);
    // A key JavaScript reads as a prototype: zod's record and JSON copies would drop it silently, so it is refused.
    const proto = '"__proto__" cannot be a metadata key: JavaScript reads it as an object\'s prototype, so it would not be kept as data; rename it';
    expect(one("credentials:\n  - name: a\n    metadata:\n      team: ci\n      __proto__: {x: 1}\n")).toEqual([
      `credentials/a.yaml:5:7: credentials[0] (a).metadata.__proto__: ${proto}`,
    ]);
    expect(one('credentials:\n  - name: a\n    metadata:\n      team:\n        - {"__proto__": 1}\n')).toEqual([
      `credentials/a.yaml:5:12: credentials[0] (a).metadata.team[0].__proto__: ${proto}`,
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: {__proto__: 1}\n")).toEqual([
      `credentials/a.yaml:3:16: credentials[0] (a).metadata.__proto__: ${proto}`,
    ]);
  });

  it("ACL rules: each bad form explained", () => {
    const bad = ["connect:x.com", "bind:", "bind:Example.com", "bind:a*b.com", " bind:x.com", "bind:x.com:0", "bind:x.com:65536", "bind:*", "bind:*.x.com:80", "bind:=v", "bind:k="];
    const out = one(`credentials:\n  - name: a\n    acl:\n${bad.map((r) => `      - ${JSON.stringify(r)}`).join("\n")}\n`);
    expect(out).toEqual([
      'credentials/a.yaml:4:9: credentials[0] (a).acl[0]: invalid ACL rule "connect:x.com": must be "*" or start with "bind:" (the only rule ngrok supports)',
      'credentials/a.yaml:5:9: credentials[0] (a).acl[1]: invalid ACL rule "bind:": names nothing after "bind:"',
      'credentials/a.yaml:6:9: credentials[0] (a).acl[2]: invalid ACL rule "bind:Example.com": hostnames must be lowercase',
      'credentials/a.yaml:7:9: credentials[0] (a).acl[3]: invalid ACL rule "bind:a*b.com": a hostname wildcard may only be a leading "*." (e.g. bind:*.example.com)',
      'credentials/a.yaml:8:9: credentials[0] (a).acl[4]: invalid ACL rule " bind:x.com": has leading or trailing white space',
      'credentials/a.yaml:9:9: credentials[0] (a).acl[5]: invalid ACL rule "bind:x.com:0": port 0 is out of range 1-65535 (a TCP address is host:port)',
      'credentials/a.yaml:10:9: credentials[0] (a).acl[6]: invalid ACL rule "bind:x.com:65536": port 65536 is out of range 1-65535 (a TCP address is host:port)',
      'credentials/a.yaml:11:9: credentials[0] (a).acl[7]: invalid ACL rule "bind:*": a hostname wildcard may only be a leading "*." (e.g. bind:*.example.com)',
      'credentials/a.yaml:12:9: credentials[0] (a).acl[8]: invalid ACL rule "bind:*.x.com:80": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:13:9: credentials[0] (a).acl[9]: invalid ACL rule "bind:=v": is not a hostname, host:port or key=value label rule',
      'credentials/a.yaml:14:9: credentials[0] (a).acl[10]: invalid ACL rule "bind:k=": is not a hostname, host:port or key=value label rule',
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
      'credentials/a.yaml:3:15: credentials[0] (a).owner_id: "alan@example.com" is not a user or bot id (usr_… or bot_…); emails are not accepted because ngrok reports ids',
      'credentials/a.yaml:4:13: credentials[0] (a).import: "2TMG" is not a credential id (cr_…)',
      'credentials/a.yaml:5:19: credentials[0] (a).rotate_after: "3 months" is not a duration: a whole number and one unit of m, h, d or w (e.g. 90d)',
      'credentials/a.yaml:7:39: credentials[0] (a).deliver[0].github_actions_secret.repo: "not-a-repo" is not a repository (owner/name)',
      'credentials/a.yaml:7:57: credentials[0] (a).deliver[0].github_actions_secret.name: "GITHUB_TOKEN" is not a GitHub secret name: letters, digits and "_", not starting with a digit or GITHUB_',
      'credentials/a.yaml:7:71: credentials[0] (a).deliver[0].github_actions_secret.env: unknown key "env" (allowed: repo, name, environment)',
    ]);
    expect(
      messages({
        "credentials/a.yaml": "credentials:\n  - name: a\n    import: cr_1\n  - name: b\n    import: cr_1\n",
      }),
    ).toEqual(['credentials/a.yaml:4:11: credentials[1] (b).import: cr_1 is already imported by "a" (credentials/a.yaml:2)']);
  });

  it("YAML syntax errors and duplicate keys, with positions", () => {
    const [syntax] = one("credentials:\n  - name: a\n   bad: [\n");
    expect(syntax).toMatch(/^credentials\/a\.yaml:\d+:\d+: /);
    expect(one("credentials:\n  - name: a\n    name: b\n")).toEqual([
      'credentials/a.yaml:3:5: credentials[0].name: Map keys must be unique: "name" is already set at line 2, column 5 of this mapping',
    ]);
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
    // The limit is in UTF-8 bytes: 600 characters of two bytes each are over 1000, and 400 of them are not.
    const wide = (n: number) => loadSpecs([{ path: "credentials/a.yaml", content: `credentials: []\n#${"é".repeat(n)}` }], { ownerId: OWNER, maxFileBytes: 1000 });
    const over = wide(600);
    expect(over.ok ? [] : over.errors.map(formatSpecError)).toEqual(["credentials/a.yaml:1:1: file is 1217 bytes; the limit is 1000"]);
    expect(wide(400).ok).toBe(true);
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

describe("all of an item's errors at once (issue 17)", () => {
  it("byte limits are counted even when the schema refuses the item", () => {
    expect(one(`credentials:\n  - name: a\n    description: ${"é".repeat(128)}\n    acl: [nope]\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0] (a).description: is 256 bytes (UTF-8); the limit is 255",
      'credentials/a.yaml:4:11: credentials[0] (a).acl[0]: invalid ACL rule "nope": must be "*" or start with "bind:" (the only rule ngrok supports)',
    ]);
    // Over 255 characters: one error (in bytes), not a second one counting characters.
    expect(one(`credentials:\n  - name: a\n    description: ${"x".repeat(300)}\n    colour: red\n`)).toEqual([
      "credentials/a.yaml:3:18: credentials[0] (a).description: is 300 bytes (UTF-8); the limit is 255",
      'credentials/a.yaml:4:5: credentials[0] (a).colour: unknown key "colour" (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
    ]);
    expect(one(`credentials:\n  - name: 7\n    metadata: ${"x".repeat(4100)}\n`)).toEqual([
      "credentials/a.yaml:2:11: credentials[0].name: expected a string, got number (7)",
      "credentials/a.yaml:3:15: credentials[0].metadata: is 4244 bytes as sent (UTF-8 JSON, ownership marker included); the limit is 4096",
    ]);
    expect(one("credentials:\n  - name: A\n    metadata: {ngrok-gitops: mine}\n")).toEqual([
      'credentials/a.yaml:2:11: credentials[0].name: "A" is not a valid name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit',
      'credentials/a.yaml:3:16: credentials[0].metadata["ngrok-gitops"]: "ngrok-gitops" is reserved for the ownership marker',
    ]);
  });
});

describe("YAML syntax errors say where and in which key (issue 17)", () => {
  it("an unclosed quote is reported where it opened", () => {
    expect(one('credentials:\n  - name: a\n    description: "CI runners\n  - name: b\n')).toEqual([
      'credentials/a.yaml:3:18: credentials[0].description: Missing closing quote: the string opened here with " never ends (it runs on to line 5, column 1)',
    ]);
    expect(one("credentials:\n  - name: a\n    description: 'CI runners\n")).toEqual([
      "credentials/a.yaml:3:18: credentials[0].description: Missing closing quote: the string opened here with ' never ends (it runs on to line 4, column 1)",
    ]);
  });

  it("an unclosed flow list or mapping is reported where it opened", () => {
    expect(one("credentials:\n  - name: a\n    acl: [bind:x.com, bind:y.com\n  - name: b\n")).toEqual([
      'credentials/a.yaml:3:10: credentials[0].acl: the "[" opened here is not closed where YAML expects: a flow sequence ends with "]", and its lines are indented more than its key (noticed at line 4, column 3)',
    ]);
    expect(one("credentials:\n  - name: a\n    metadata: {team: x\n  - name: b\n")).toEqual([
      'credentials/a.yaml:3:15: credentials[0].metadata: the "{" opened here is not closed where YAML expects: a flow map ends with "}", and its lines are indented more than its key (noticed at line 4, column 3)',
    ]);
  });

  it("a repeated key names itself, its path and the first one", () => {
    expect(one("credentials:\n  - name: a\n  - name: b\n    metadata:\n      team: x\n      team: y\n")).toEqual([
      'credentials/a.yaml:6:7: credentials[1].metadata.team: Map keys must be unique: "team" is already set at line 5, column 7 of this mapping',
    ]);
    expect(one("credentials: []\ncredentials: []\n")).toEqual([
      'credentials/a.yaml:2:1: credentials: Map keys must be unique: "credentials" is already set at line 1, column 1 of this mapping',
    ]);
  });

  it("other syntax errors name the key path they are in", () => {
    expect(one("credentials:\n  - name: a\n    description: a: b\n")).toEqual([
      "credentials/a.yaml:3:18: credentials[0].description: Nested mappings are not allowed in compact mappings",
    ]);
  });
});

describe("expires", () => {
  const at = (text: string) => {
    const result = load({ "credentials/a.yaml": `credentials:\n  - name: a\n    expires: ${text}\n` });
    return result.ok ? [result.specs[0]?.expires, result.specs[0]?.expires_ms] : result.errors.map(formatSpecError);
  };

  it("takes a date (00:00 UTC that day) or an RFC 3339 time", () => {
    expect(at("2027-01-31")).toEqual(["2027-01-31", Date.UTC(2027, 0, 31)]);
    expect(at("'2027-01-31'")).toEqual(["2027-01-31", Date.UTC(2027, 0, 31)]);
    expect(at("2027-01-31T18:30:00Z")).toEqual(["2027-01-31T18:30:00Z", Date.UTC(2027, 0, 31, 18, 30)]);
    expect(at("2027-01-31T18:30:00.250+02:00")).toEqual(["2027-01-31T18:30:00.250+02:00", Date.UTC(2027, 0, 31, 16, 30, 0, 250)]);
    expect(at("2027-01-31t18:30:00-05:30")).toEqual(["2027-01-31t18:30:00-05:30", Date.UTC(2027, 1, 1, 0, 0)]);
  });

  it("refuses what is not a date, and dates that do not exist", () => {
    expect(at("next friday")).toEqual([
      'credentials/a.yaml:3:14: credentials[0] (a).expires: "next friday" is not a date (YYYY-MM-DD) or an RFC 3339 time (e.g. 2027-01-31T18:00:00Z)',
    ]);
    expect(at("2027-01-31T18:30Z")[0]).toContain("is not a date (YYYY-MM-DD) or an RFC 3339 time");
    expect(at("2027-01-31 18:30:00Z")[0]).toContain("is not a date (YYYY-MM-DD) or an RFC 3339 time");
    expect(at("2027-02-29")).toEqual(['credentials/a.yaml:3:14: credentials[0] (a).expires: "2027-02-29" is not a real date or time']);
    expect(at("2028-02-29")).toEqual(["2028-02-29", Date.UTC(2028, 1, 29)]);
    expect(at("2027-01-31T24:00:00Z")).toEqual(['credentials/a.yaml:3:14: credentials[0] (a).expires: "2027-01-31T24:00:00Z" is not a real date or time']);
    expect(at("2027-13-01")).toEqual(['credentials/a.yaml:3:14: credentials[0] (a).expires: "2027-13-01" is not a real date or time']);
  });

  it("cannot be combined with prevent_destroy", () => {
    expect(one("credentials:\n  - name: a\n    prevent_destroy: true\n    expires: 2027-01-31\n")).toEqual([
      "credentials/a.yaml:3:22: credentials[0] (a).prevent_destroy: prevent_destroy and expires cannot both be set: an expiring credential is deleted on its date; remove one of them",
    ]);
    expect(load({ "credentials/a.yaml": "credentials:\n  - name: a\n    prevent_destroy: false\n    expires: 2027-01-31\n" }).ok).toBe(true);
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
      "credentials/a.yaml:4:9: credentials[0] (a).deliver[0]: names exactly one target: github_actions_secret or github_actions_org_secret",
      "credentials/a.yaml:5:9: credentials[0] (a).deliver[1]: names exactly one target: github_actions_secret or github_actions_org_secret",
      'credentials/a.yaml:7:69: credentials[0] (a).deliver[2].github_actions_org_secret.visibility: "selected" is not one of "all", "private"',
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
