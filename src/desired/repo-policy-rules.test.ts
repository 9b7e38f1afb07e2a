// Each policy rule through loadSpecs: an error at the offending field, naming the rule and where it is written.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { loadSpecs, type PolicyOptions } from "./load.js";
import { loadPolicy } from "./repo-policy-file.js";

const FILE = "ngrok-gitops.policy.yaml";
const NOW = Date.UTC(2027, 0, 10, 12);

function policy(content: string): PolicyOptions["policy"] {
  const result = loadPolicy({ path: FILE, content });
  if (!result.ok) throw new Error(result.errors.map(formatSpecError).join("\n"));
  return result.policy;
}

/** Errors of one spec file under a policy (written as its lines). */
function judge(policyLines: string[], specLines: string[], options: Partial<PolicyOptions> = {}): string[] {
  const result = loadSpecs([{ path: "credentials/a.yaml", content: `credentials:\n${specLines.join("\n")}\n` }], {
    ownerId: "o",
    policy: { policy: policy(policyLines.join("\n")), now: NOW, ...options },
  });
  return result.ok ? [] : result.errors.map(formatSpecError);
}

describe("require", () => {
  it("each field must be set and not empty", () => {
    const all = ["require: [description, acl, owner_id, deliver, rotate_after, expires, metadata]"];
    expect(judge(all, ["  - name: bare", "    description: ''", "    acl: []", "    metadata: {}"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no description`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no acl`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no owner_id`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no deliver target`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no rotate_after`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no expires`,
      `credentials/a.yaml:2:5: credentials[0]: "bare" breaks policy require (${FILE}:1): sets no metadata`,
    ]);
    const full = [
      "  - name: full",
      "    description: web",
      "    acl: [bind:web.example.com]",
      "    owner_id: bot_1",
      "    deliver: [{github_actions_secret: {repo: acme/web, name: NGROK_AUTHTOKEN}}]",
      "    rotate_after: 30d",
      "    expires: 2027-03-01",
      "    metadata: just a string",
    ];
    expect(judge(all, full)).toEqual([]);
  });

  it("metadata.KEY walks the metadata mapping and points at what is missing", () => {
    const rule = ["require: [metadata.team, metadata.cost.centre]"];
    expect(judge(rule, ["  - name: none"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "none" breaks policy require (${FILE}:1): sets no metadata.team`,
      `credentials/a.yaml:2:5: credentials[0]: "none" breaks policy require (${FILE}:1): sets no metadata.cost.centre`,
    ]);
    expect(judge(rule, ["  - name: text", "    metadata: platform"])).toEqual([
      `credentials/a.yaml:3:15: credentials[0].metadata: "text" breaks policy require (${FILE}:1): sets no metadata.team (metadata is not a mapping)`,
      `credentials/a.yaml:3:15: credentials[0].metadata: "text" breaks policy require (${FILE}:1): sets no metadata.cost.centre (metadata is not a mapping)`,
    ]);
    expect(judge(rule, ["  - name: partial", "    metadata:", "      team: ''", "      cost: 7"])).toEqual([
      `credentials/a.yaml:4:13: credentials[0].metadata.team: "partial" breaks policy require (${FILE}:1): metadata.team is empty`,
      `credentials/a.yaml:5:13: credentials[0].metadata.cost: "partial" breaks policy require (${FILE}:1): sets no metadata.cost.centre (metadata.cost is not a mapping)`,
    ]);
    expect(judge(rule, ["  - name: ok", "    metadata: {team: web, cost: {centre: 42}}"])).toEqual([]);
  });
});

describe("acl.allow", () => {
  const allow = ["acl:", "  allow: ['*.example.com', api.acme.io, 'bind:1.tcp.ngrok.io:*', '2.tcp.ngrok.io:20002', 'env=*']"];

  it("every bind target falls under a pattern; each one that does not is pointed at, as written", () => {
    expect(
      judge(allow, [
        "  - name: web",
        "    acl:",
        "      - bind:web.example.com",
        "      - bind:example.com",
        "      - bind:api.acme.io",
        "      - bind:evil.acme.io",
        "      - bind:1.tcp.ngrok.io:443",
        "      - bind:2.tcp.ngrok.io:20003",
        "      - bind:env=prod",
        "      - bind:team=web",
      ]),
    ).toEqual([
      `credentials/a.yaml:5:9: credentials[0].acl[1]: "web" breaks policy acl.allow (${FILE}:2): "bind:example.com" falls under no allowed pattern (*.example.com, api.acme.io, bind:1.tcp.ngrok.io:*, 2.tcp.ngrok.io:20002, env=*)`,
      `credentials/a.yaml:7:9: credentials[0].acl[3]: "web" breaks policy acl.allow (${FILE}:2): "bind:evil.acme.io" falls under no allowed pattern (*.example.com, api.acme.io, bind:1.tcp.ngrok.io:*, 2.tcp.ngrok.io:20002, env=*)`,
      `credentials/a.yaml:9:9: credentials[0].acl[5]: "web" breaks policy acl.allow (${FILE}:2): "bind:2.tcp.ngrok.io:20003" falls under no allowed pattern (*.example.com, api.acme.io, bind:1.tcp.ngrok.io:*, 2.tcp.ngrok.io:20002, env=*)`,
      `credentials/a.yaml:11:9: credentials[0].acl[7]: "web" breaks policy acl.allow (${FILE}:2): "bind:team=web" falls under no allowed pattern (*.example.com, api.acme.io, bind:1.tcp.ngrok.io:*, 2.tcp.ngrok.io:20002, env=*)`,
    ]);
  });

  it("an unrestricted credential falls under no pattern", () => {
    expect(judge(allow, ["  - name: open"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "open" breaks policy acl.allow (${FILE}:2): is unrestricted (it can bind anything); acl.allow permits only *.example.com, api.acme.io, bind:1.tcp.ngrok.io:*, 2.tcp.ngrok.io:20002, env=*`,
    ]);
    expect(judge(["acl: {allow: [a.com, b.com, c.com, d.com, e.com, f.com, g.com]}"], ["  - name: star", "    acl: ['*']"])).toEqual([
      `credentials/a.yaml:3:11: credentials[0].acl[0]: "star" breaks policy acl.allow (${FILE}:1): is unrestricted (it can bind anything); acl.allow permits only a.com, b.com, c.com, d.com, e.com and 2 more`,
    ]);
  });
});

describe("acl.deny_unrestricted", () => {
  it('refuses no acl, [] and "*", and alone reports them when acl.allow is set too', () => {
    const rule = ["acl:", "  deny_unrestricted: true"];
    expect(judge(rule, ["  - name: a", "  - name: b", "    acl: []", "  - name: c", "    acl: [bind:c.example.com, '*']", "  - name: d", "    acl: [bind:d.example.com]"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy acl.deny_unrestricted (${FILE}:2): has no acl, so it can bind anything; list the bind targets it needs`,
      `credentials/a.yaml:3:5: credentials[1]: "b" breaks policy acl.deny_unrestricted (${FILE}:2): has no acl, so it can bind anything; list the bind targets it needs`,
      `credentials/a.yaml:6:31: credentials[2].acl[1]: "c" breaks policy acl.deny_unrestricted (${FILE}:2): "*" lets it bind anything; list the bind targets it needs`,
    ]);
    expect(judge([...rule, "  allow: ['*.example.com']"], ["  - name: a"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy acl.deny_unrestricted (${FILE}:2): has no acl, so it can bind anything; list the bind targets it needs`,
    ]);
  });
});

describe("max_rotate_after", () => {
  const rule = ["max_rotate_after: 90d"];

  it("rotate_after must be set and no longer; the deployment's ROTATE_AFTER counts for specs without one", () => {
    expect(judge(rule, ["  - name: never", "  - name: slow", "    rotate_after: 13w", "  - name: ok", "    rotate_after: 90d"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "never" breaks policy max_rotate_after (${FILE}:1): sets no rotate_after; it must rotate at least every 90d`,
      `credentials/a.yaml:4:19: credentials[1].rotate_after: "slow" breaks policy max_rotate_after (${FILE}:1): rotate_after 91d is longer than 90d`,
    ]);
    expect(judge(rule, ["  - name: never"], { defaultRotateAfterMs: 30 * 86_400_000 })).toEqual([]);
    expect(judge(rule, ["  - name: never"], { defaultRotateAfterMs: 180 * 86_400_000 })).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "never" breaks policy max_rotate_after (${FILE}:1): sets no rotate_after, and the deployment's ROTATE_AFTER (180d) is longer than 90d`,
    ]);
  });
});

describe("max_lifetime", () => {
  const rule = ["max_lifetime: 30d"];

  it("expires must be set, no further from now than that", () => {
    // NOW is 2027-01-10 12:00 UTC: 30 days on is 2027-02-09 12:00, so 2027-02-09 (00:00) is the last whole date.
    expect(judge(rule, ["  - name: forever", "  - name: far", "    expires: 2027-02-10", "  - name: edge", "    expires: 2027-02-09T12:00:00Z", "  - name: ok", "    expires: 2027-02-09"])).toEqual([
      `credentials/a.yaml:2:5: credentials[0]: "forever" breaks policy max_lifetime (${FILE}:1): sets no expires; it must expire within 30d`,
      `credentials/a.yaml:4:14: credentials[1].expires: "far" breaks policy max_lifetime (${FILE}:1): 2027-02-10 is more than 30d away; set 2027-02-09 or earlier`,
    ]);
  });
});

describe("judging", () => {
  const strict = ["require: [description]", "acl: {deny_unrestricted: true}", "max_lifetime: 30d"];

  it("exempts expired specs: their only effect is their deletion", () => {
    expect(judge(strict, ["  - name: gone", "    expires: 2027-01-10T12:00:00Z", "  - name: soon", "    expires: 2027-01-10T12:00:01Z"])).toEqual([
      `credentials/a.yaml:4:5: credentials[1]: "soon" breaks policy require (${FILE}:1): sets no description`,
      `credentials/a.yaml:4:5: credentials[1]: "soon" breaks policy acl.deny_unrestricted (${FILE}:2): has no acl, so it can bind anything; list the bind targets it needs`,
    ]);
  });

  it("violations come with the file's other errors, and never from the file cache", () => {
    const cache = new Map<string, never>();
    const files = [
      { path: "credentials/a.yaml", content: "credentials:\n  - name: a\n  - name: B\n" },
      { path: "credentials/b.yaml", content: "credentials:\n  - name: c\n    description: fine\n    acl: [bind:c.example.com]\n    expires: 2027-02-01\n" },
    ];
    const run = (content: string) => {
      const result = loadSpecs(files, { ownerId: "o", cache, policy: { policy: policy(content), now: NOW } });
      return result.ok ? [] : result.errors.map(formatSpecError);
    };
    expect(run(strict.join("\n"))).toEqual([
      'credentials/a.yaml:3:11: credentials[1].name: "B" is not a valid name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit',
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy require (${FILE}:1): sets no description`,
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy acl.deny_unrestricted (${FILE}:2): has no acl, so it can bind anything; list the bind targets it needs`,
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy max_lifetime (${FILE}:3): sets no expires; it must expire within 30d`,
    ]);
    expect(run("max_lifetime: 7d")).toEqual([
      'credentials/a.yaml:3:11: credentials[1].name: "B" is not a valid name: 1 to 63 characters of a-z, 0-9, "-", "_" and ".", starting with a letter or digit',
      `credentials/a.yaml:2:5: credentials[0]: "a" breaks policy max_lifetime (${FILE}:1): sets no expires; it must expire within 7d`,
      `credentials/b.yaml:5:14: credentials[0].expires: "c" breaks policy max_lifetime (${FILE}:1): 2027-02-01 is more than 7d away; set 2027-01-17 or earlier`,
    ]);
  });

  it("a policy with no rules, or none at all, changes nothing", () => {
    expect(judge(["# empty"], ["  - name: a"])).toEqual([]);
  });
});

describe("README", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Policy and expiry"), readme.indexOf("\n## ", readme.indexOf("## Policy and expiry") + 1));

  it("the sample policy loads, and its violation messages are real ones from this file", () => {
    const sample = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(sample).toContain("max_lifetime: 180d");
    const loaded = loadPolicy({ path: FILE, content: sample });
    expect(loaded.ok ? [] : loaded.errors.map(formatSpecError)).toEqual([]);
    const tests = readFileSync(new URL("./repo-policy-rules.test.ts", import.meta.url), "utf8").replaceAll("${FILE}", FILE);
    const lines = section.split("\n").filter((line) => /^credentials\/\S+:\d+:\d+: /.test(line));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(tests.includes(`\`${line}\``), line).toBe(true);
  });
});

describe("deliver.allow", () => {
  const allow = ["deliver:", "  allow:", "    - acme/site:NGROK_*", "    - 'acme/*@prod:CI_NGROK_TOKEN'", "    - org:acme:NGROK_AUTHTOKEN"];
  const target = (t: string) => ["  - name: ci", "    deliver:", `      - ${t}`];

  it("a target under a pattern passes: * within a part, case-insensitively, environments and organisations apart", () => {
    for (const ok of [
      "github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN}",
      "github_actions_secret: {repo: ACME/Site, name: ngrok_x}",
      "github_actions_secret: {repo: acme/api, name: CI_NGROK_TOKEN, environment: prod}",
      "github_actions_org_secret: {org: acme, name: NGROK_AUTHTOKEN}",
    ]) expect(judge(allow, target(ok)), ok).toEqual([]);
  });

  it("a target under no pattern is an error at the target, naming the rule's line", () => {
    const message = (key: string) => `"ci" breaks policy deliver.allow (${FILE}:3): delivers to ${key}, which falls under no allowed pattern (acme/site:NGROK_*, acme/*@prod:CI_NGROK_TOKEN, org:acme:NGROK_AUTHTOKEN)`;
    for (const [bad, key] of [
      ["github_actions_secret: {repo: acme/site, name: PROD_DB_PASSWORD}", "acme/site:PROD_DB_PASSWORD"],
      // A pattern without @ covers repository secrets only; one with @ only environment secrets.
      ["github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN, environment: prod}", "acme/site@prod:NGROK_AUTHTOKEN"],
      ["github_actions_secret: {repo: acme/api, name: CI_NGROK_TOKEN}", "acme/api:CI_NGROK_TOKEN"],
      // * stays within its part: acme/* does not reach another owner.
      ["github_actions_secret: {repo: evil/acme, name: CI_NGROK_TOKEN, environment: prod}", "evil/acme@prod:CI_NGROK_TOKEN"],
      ["github_actions_org_secret: {org: other, name: NGROK_AUTHTOKEN}", "org:other:NGROK_AUTHTOKEN"],
    ] as const) expect(judge(allow, target(bad)), bad).toEqual([`credentials/a.yaml:4:9: credentials[0].deliver[0]: ${message(key)}`]);
    // As the README quotes it.
    expect(judge(allow, target("github_actions_secret: {repo: acme/site, name: PROD_DB_PASSWORD}"))).toEqual([
      `credentials/a.yaml:4:9: credentials[0].deliver[0]: "ci" breaks policy deliver.allow (${FILE}:3): delivers to acme/site:PROD_DB_PASSWORD, which falls under no allowed pattern (acme/site:NGROK_*, acme/*@prod:CI_NGROK_TOKEN, org:acme:NGROK_AUTHTOKEN)`,
    ]);
  });
});
