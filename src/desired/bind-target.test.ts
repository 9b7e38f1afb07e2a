// Which bind targets a policy pattern covers: suffixes, TCP ports, labels, and the wildcards of both sides.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { covers, parseBindTarget } from "./bind-target.js";
import { allowIndex } from "./repo-policy-rules.js";

const ok = (pattern: string, rule: string) => covers(parseBindTarget(pattern), parseBindTarget(rule));

describe("covers", () => {
  it("hostnames: exact, and *. for every subdomain but not the apex", () => {
    expect(ok("example.com", "bind:example.com")).toBe(true);
    expect(ok("example.com", "bind:a.example.com")).toBe(false);
    expect(ok("example.com", "bind:*.example.com")).toBe(false);
    expect(ok("*.example.com", "bind:a.example.com")).toBe(true);
    expect(ok("*.example.com", "bind:a.b.example.com")).toBe(true);
    expect(ok("*.example.com", "bind:*.example.com")).toBe(true);
    expect(ok("*.example.com", "bind:*.a.example.com")).toBe(true);
    expect(ok("*.example.com", "bind:example.com")).toBe(false);
    expect(ok("*.example.com", "bind:badexample.com")).toBe(false);
    expect(ok("*.a.example.com", "bind:*.example.com")).toBe(false);
    expect(ok("bind:*.example.com", "bind:a.example.com")).toBe(true);
  });

  it("TCP addresses: a port or any port, hosts as above; never a hostname rule", () => {
    expect(ok("1.tcp.ngrok.io:20002", "bind:1.tcp.ngrok.io:20002")).toBe(true);
    expect(ok("1.tcp.ngrok.io:20002", "bind:1.tcp.ngrok.io:20003")).toBe(false);
    expect(ok("1.tcp.ngrok.io:*", "bind:1.tcp.ngrok.io:20003")).toBe(true);
    expect(ok("1.tcp.ngrok.io:*", "bind:2.tcp.ngrok.io:20003")).toBe(false);
    expect(ok("*.tcp.ngrok.io:*", "bind:2.tcp.ngrok.io:20003")).toBe(true);
    expect(ok("1.tcp.ngrok.io:*", "bind:1.tcp.ngrok.io")).toBe(false);
    expect(ok("1.tcp.ngrok.io", "bind:1.tcp.ngrok.io:20002")).toBe(false);
  });

  it("labels: * in the pattern covers any key or value; * in the rule only a * pattern", () => {
    expect(ok("env=ci", "bind:env=ci")).toBe(true);
    expect(ok("env=ci", "bind:env=prod")).toBe(false);
    expect(ok("env=*", "bind:env=prod")).toBe(true);
    expect(ok("env=*", "bind:env=*")).toBe(true);
    expect(ok("env=ci", "bind:env=*")).toBe(false);
    expect(ok("*=ci", "bind:team=ci")).toBe(true);
    expect(ok("*=ci", "bind:*=ci")).toBe(true);
    expect(ok("env=*", "bind:*=ci")).toBe(false);
    expect(ok("*=*", "bind:*=*")).toBe(true);
    expect(ok("env=*", "bind:env.example.com")).toBe(false);
    expect(ok("*.example.com", "bind:env=ci")).toBe(false);
  });
});

describe("allowIndex", () => {
  it("agrees with covers() on every pattern list and rule", () => {
    const hosts = ["example.com", "a.example.com", "b.a.example.com", "badexample.com", "io", "x.io"];
    const patterns = [...hosts, ...hosts.map((h) => `*.${h}`), "x.io:80", "x.io:*", "*.io:*", "env=*", "*=ci", "env=ci"];
    const rules = [...hosts, ...hosts.map((h) => `*.${h}`), "x.io:80", "x.io:81", "a.x.io:80", "env=ci", "env=*", "team=ci", "*=*"].map((r) => `bind:${r}`);
    fc.assert(
      fc.property(fc.subarray(patterns), fc.constantFrom(...rules), (list, rule) => {
        const targets = list.map(parseBindTarget);
        const target = parseBindTarget(rule);
        expect(allowIndex(targets)(rule)).toBe(targets.some((p) => covers(p, target)));
      }),
      { numRuns: 3000 },
    );
  });
});
