// The policy file's loader: a valid file normalised, every kind of bad input with file, line, column and field.
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { loadPolicy, POLICY_MAX_BYTES } from "./repo-policy-file.js";

const FILE = "ngrok-gitops.policy.yaml";
const errors = (content: string) => {
  const result = loadPolicy({ path: FILE, content });
  return result.ok ? [] : result.errors.map(formatSpecError);
};

describe("loadPolicy", () => {
  it("normalises every rule, with where each is written", () => {
    const result = loadPolicy({
      path: FILE,
      content: [
        "# yaml-language-server: $schema=schema/policy.schema.json",
        "require: [description, acl, metadata.team]",
        "acl:",
        "  allow:",
        "    - '*.example.com'",
        "    - bind:1.tcp.ngrok.io:*",
        "    - env=*",
        "  deny_unrestricted: true",
        "max_rotate_after: 90d",
        "max_lifetime: 26w",
        "deliver:",
        "  allow: ['acme/site:NGROK_*', 'org:acme:CI_*']",
      ].join("\n"),
    });
    expect(result).toEqual({
      ok: true,
      policy: {
        file: FILE,
        require: [
          { field: "description", path: ["description"], at: `${FILE}:2` },
          { field: "acl", path: ["acl"], at: `${FILE}:2` },
          { field: "metadata.team", path: ["metadata", "team"], at: `${FILE}:2` },
        ],
        allow: {
          at: `${FILE}:5`,
          patterns: [
            { text: "*.example.com", target: { kind: "host", host: ".example.com", wildcard: true } },
            { text: "bind:1.tcp.ngrok.io:*", target: { kind: "tcp", host: "1.tcp.ngrok.io", wildcard: false, port: "*" } },
            { text: "env=*", target: { kind: "label", key: "env", value: "*" } },
          ],
        },
        denyUnrestricted: { at: `${FILE}:8` },
        maxRotateAfter: { ms: 90 * 86_400_000, text: "90d", at: `${FILE}:9` },
        maxLifetime: { ms: 26 * 7 * 86_400_000, text: "26w", at: `${FILE}:10` },
        deliverAllow: { patterns: ["acme/site:NGROK_*", "org:acme:CI_*"], at: `${FILE}:12` },
        review: null,
      },
    });
  });

  it("an empty file, or deny_unrestricted: false, sets no rule", () => {
    const none = { file: FILE, require: [], allow: null, denyUnrestricted: null, maxRotateAfter: null, maxLifetime: null, deliverAllow: null, review: null };
    expect(loadPolicy({ path: FILE, content: "" })).toEqual({ ok: true, policy: none });
    expect(loadPolicy({ path: FILE, content: "# nothing yet\n" })).toEqual({ ok: true, policy: none });
    expect(loadPolicy({ path: FILE, content: "acl: {deny_unrestricted: false}\n" })).toEqual({ ok: true, policy: none });
  });

  it("unknown keys, at the key, listing the allowed ones", () => {
    expect(errors("requires: [description]\nacl:\n  allowed: [x.com]\n")).toEqual([
      `${FILE}:1:1: requires: unknown key "requires" (allowed: require, acl, deliver, max_rotate_after, max_lifetime, review)`,
      `${FILE}:3:3: acl.allowed: unknown key "allowed" (allowed: allow, deny_unrestricted)`,
    ]);
  });

  it("deliver.allow: a bad pattern, an empty list or an unknown key, each at its position", () => {
    expect(errors("deliver:\n  allow:\n    - acme/site:NGROK_*\n    - acme:NGROK\n    - 'org:acme'\n")).toEqual([
      `${FILE}:4:7: deliver.allow[1]: "acme:NGROK" is not a delivery target pattern: OWNER/REPO:SECRET, OWNER/REPO@ENVIRONMENT:SECRET or org:ORG:SECRET, where * matches within a part`,
      `${FILE}:5:7: deliver.allow[2]: "org:acme" is not a delivery target pattern: OWNER/REPO:SECRET, OWNER/REPO@ENVIRONMENT:SECRET or org:ORG:SECRET, where * matches within a part`,
    ]);
    expect(errors("deliver: {allow: []}\n")).toEqual([`${FILE}:1:18: deliver.allow: lists no pattern: omit deliver.allow to allow any target, or list the allowed ones`]);
    expect(errors("deliver: {deny: [x]}\n")).toEqual([`${FILE}:1:11: deliver.deny: unknown key "deny" (allowed: allow)`]);
  });

  it("wrong types", () => {
    expect(errors("require: description\nacl: [x.com]\nmax_lifetime: 180\n")).toEqual([
      `${FILE}:1:10: require: expected a list, got string ("description")`,
      `${FILE}:2:6: acl: expected a mapping, got a list`,
      `${FILE}:3:15: max_lifetime: expected a string, got number (180)`,
    ]);
    expect(errors("acl:\n  deny_unrestricted: yes\n")).toEqual([`${FILE}:2:22: acl.deny_unrestricted: expected a boolean, got string ("yes")`]);
    expect(errors("- require\n")).toEqual([`${FILE}:1:1: expected a mapping of policy rules, got a list`]);
  });

  it("bad values, each explained", () => {
    expect(errors("require: [descripton, metadata., name]\nacl:\n  allow: [evil*.com, 'bind:x.com:99999', '*', 'Example.com']\nmax_rotate_after: 3 months\n")).toEqual([
      `${FILE}:1:11: require[0]: "descripton" is not a field a credential can be required to set: description, acl, owner_id, deliver, rotate_after, expires, metadata or metadata.KEY`,
      `${FILE}:1:23: require[1]: "metadata." is not a field a credential can be required to set: description, acl, owner_id, deliver, rotate_after, expires, metadata or metadata.KEY`,
      `${FILE}:1:34: require[2]: "name" is not a field a credential can be required to set: description, acl, owner_id, deliver, rotate_after, expires, metadata or metadata.KEY`,
      `${FILE}:3:11: acl.allow[0]: "evil*.com" is not a bind target pattern: a hostname (*.example.com for its subdomains), host:port or host:*, or a key=value label rule (key and value may be *)`,
      `${FILE}:3:22: acl.allow[1]: "bind:x.com:99999" is not a bind target pattern: a hostname (*.example.com for its subdomains), host:port or host:*, or a key=value label rule (key and value may be *)`,
      `${FILE}:3:42: acl.allow[2]: "*" is not a bind target pattern: a hostname (*.example.com for its subdomains), host:port or host:*, or a key=value label rule (key and value may be *)`,
      `${FILE}:3:47: acl.allow[3]: "Example.com" is not a bind target pattern: a hostname (*.example.com for its subdomains), host:port or host:*, or a key=value label rule (key and value may be *)`,
      `${FILE}:4:19: max_rotate_after: "3 months" is not a duration: a whole number and one unit of m, h, d or w (e.g. 90d)`,
    ]);
    expect(errors("acl:\n  allow: []\n")).toEqual([`${FILE}:2:10: acl.allow: lists no pattern: omit acl.allow to allow any bind target, or list the allowed ones`]);
  });

  it("YAML errors, extra documents and size", () => {
    expect(errors("require: [description\nmax_lifetime: 90d\n")).toEqual([
      `${FILE}:1:10: require: the "[" opened here is not closed where YAML expects: a flow sequence ends with "]", and its lines are indented more than its key (noticed at line 2, column 1)`,
    ]);
    expect(errors("max_lifetime: 90d\nmax_lifetime: 9d\n")).toEqual([
      `${FILE}:2:1: max_lifetime: Map keys must be unique: "max_lifetime" is already set at line 1, column 1 of this mapping`,
    ]);
    expect(errors("require: []\n---\nrequire: []\n")).toEqual([`${FILE}:2:1: a policy file holds one YAML document; found a second`]);
    expect(errors(`# ${"x".repeat(POLICY_MAX_BYTES)}\n`)).toEqual([`${FILE}:1:1: file is ${POLICY_MAX_BYTES + 3} bytes; the limit is ${POLICY_MAX_BYTES}`]);
  });

  it("review.approvals turns review enforcement on; anything but a whole number from 1 is refused", () => {
    const load = loadPolicy({ path: FILE, content: "review:\n  approvals: 2\n" });
    expect(load.ok && load.policy.review).toEqual({ approvals: 2, at: `${FILE}:2` });
    expect(errors("review:\n  approvals: 0\n")).toEqual([`${FILE}:2:14: review.approvals: review.approvals must be a whole number from 1 to 100, got 0`]);
    expect(errors("review:\n  approvals: two\n")).toEqual([`${FILE}:2:14: review.approvals: review.approvals must be a whole number from 1 to 100, got "two"`]);
    expect(errors("review: {}\n")[0]).toContain("review.approvals: required");
    expect(errors("review:\n  approvals: 1\n  owners: x\n")[0]).toContain('unknown key "owners" (allowed: approvals)');
  });
});
