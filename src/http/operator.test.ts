// The operator API's pure rules: when ADMIN_TOKEN keeps it closed (and the reason never quotes it), and what an audit records of the caller.
import { describe, expect, it } from "vitest";
import { adminTokenProblem, callerOf } from "./operator.js";

describe("adminTokenProblem", () => {
  it("closes the API for an unset or short token, naming the rule and never the token", () => {
    expect(adminTokenProblem(undefined)).toContain("not set");
    expect(adminTokenProblem("")).toContain("not set");
    const short = "abc123-short-secret-value-0123";
    expect(short.length).toBeLessThan(32);
    expect(adminTokenProblem(short)).toContain("shorter than 32 characters");
    expect(adminTokenProblem(short)).not.toContain(short);
    expect(adminTokenProblem("x".repeat(32))).toBeNull();
  });
});

describe("callerOf", () => {
  it("records address and user agent, printable and bounded; null when absent", () => {
    const headers: Record<string, string> = { "CF-Connecting-IP": "2001:db8::1", "User-Agent": `a\nb\u202e${"c".repeat(500)}` };
    const caller = callerOf((name) => headers[name]);
    expect(caller.ip).toBe("2001:db8::1");
    expect(caller.user_agent?.startsWith("a?b?c")).toBe(true);
    expect(caller.user_agent).toHaveLength(256);
    expect(callerOf(() => undefined)).toEqual({ ip: null, user_agent: null });
  });
});
