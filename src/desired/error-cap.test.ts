// A file lists its first MAX_ERRORS_PER_FILE errors and counts the rest; placing an error is work, so only the listed are placed.
import { describe, expect, it } from "vitest";
import type { At, Pos } from "./errors.js";
import { formatSpecError } from "./errors.js";
import { loadSpecs } from "./load.js";
import { MAX_ERRORS_PER_FILE, validate } from "./validate-file.js";

const LIMITS = { maxFileBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 32 };
const at: At = (code, line, column, field, message) => ({ code, file: "credentials/a.yaml", line, column, field, message });

describe("errors per file", () => {
  it("one item with 60,000 unknown keys: only the listed ones are placed", () => {
    const item: Record<string, unknown> = { name: "a" };
    for (let i = 0; i < 60_000; i++) item[`k${i}`] = 1;
    let placed = 0;
    const pos: Pos = () => (placed++, { line: 1, column: 1 });
    const result = validate({ credentials: [item] }, pos, "credentials/a.yaml", "o", LIMITS, at);
    // One schema issue names all 60,000 keys: placing each searched the item's mapping (47 s at 60,000).
    expect(placed).toBeLessThanOrEqual(MAX_ERRORS_PER_FILE + 5);
    expect(result.errors.length + (result.unlisted ?? 0)).toBe(60_000);
  });

  it("lists the first 100 with file:line:col, then one line counting the rest", () => {
    const content = ["credentials:", "  - name: a", ...Array.from({ length: 6000 }, (_, i) => `    k${i}: 1`)].join("\n");
    const result = loadSpecs([{ path: "credentials/a.yaml", content }], { ownerId: "o" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(MAX_ERRORS_PER_FILE + 1);
    expect(formatSpecError(result.errors[0] as never)).toMatch(/^credentials\/a\.yaml:3:5: credentials\[0\] \(a\)\.k0: unknown key "k0" \(allowed: name, description, /);
    expect(result.errors[99]).toMatchObject({ code: "UNKNOWN_KEY", line: 102, column: 5, field: "credentials[0].k99" });
    expect(result.errors[100]).toMatchObject({ code: "TOO_MANY_ERRORS", file: "credentials/a.yaml", message: "5900 more errors in this file are not listed" });
  });

  it("a flat file of 60,000 unknown keys: the first 100 at their lines, the rest counted", () => {
    const content = Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`).join("\n");
    const result = loadSpecs([{ path: "credentials/a.yaml", content }], { ownerId: "o" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.slice(0, 3).map(formatSpecError)).toEqual([
      'credentials/a.yaml:1:1: k0: unknown key "k0" (a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`)',
      "credentials/a.yaml:1:1: credentials: required: a list of credentials (or of service_users, api_keys, ssh_credentials)",
      'credentials/a.yaml:2:1: k1: unknown key "k1" (a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`)',
    ]);
    expect(result.errors[100]).toMatchObject({ code: "TOO_MANY_ERRORS", message: "59901 more errors in this file are not listed" });
  });
});
