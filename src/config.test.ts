// One configuration parser: every bad or placeholder value by name, the CLI's defaults, and the pre-deploy check of wrangler.toml.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deployProblems, readConfig } from "./config.js";

const SOUND = { GITHUB_REPOSITORY: "acme/ops", OWNER_ID: "acme-prod", NGROK_API_KEY: "k", TOKEN_ENCRYPTION_KEYS: "k1:AAAA", GITHUB_WEBHOOK_SECRET: "s", ADMIN_TOKEN: "a", GITHUB_TOKEN: "t" };

describe("readConfig", () => {
  it("accepts a sound configuration with the documented defaults", () => {
    const read = readConfig(SOUND);
    expect(read).toMatchObject({ ok: true, config: { driftMode: "correct", maxDeletes: 10, maxSubrequests: 50, rotationGraceMs: 3_600_000, auditRetentionDays: 400, defaultRotateAfterMs: undefined } });
  });

  it("lists every problem at once, by name, without a secret's value", () => {
    const read = readConfig({ ...SOUND, MAX_DELETES: "ten", ROTATE_AFTER: "90 days", GITHUB_REPOSITORY: "acme/infra", OWNER_ID: "ngrok-gitops", MAX_SUBREQUESTS: "8", ADMIN_TOKEN: "", TOKEN_ENCRYPTION_KEYS: "secret-looking value" });
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems.map((p) => p.name).sort()).toEqual(["ADMIN_TOKEN", "GITHUB_REPOSITORY", "MAX_DELETES", "MAX_SUBREQUESTS", "OWNER_ID", "ROTATE_AFTER", "TOKEN_ENCRYPTION_KEYS"]);
    expect(JSON.stringify(read.problems)).not.toContain("secret-looking");
  });

  it("the CLI needs no GitHub settings or Worker secrets, and gets its own OWNER_ID default", () => {
    const read = readConfig({ ROTATE_AFTER: "90d" }, { for: "cli", defaults: { OWNER_ID: "ngrok-gitops-local" } });
    expect(read).toMatchObject({ ok: true, config: { ownerId: "ngrok-gitops-local", defaultRotateAfterMs: 90 * 86_400_000 } });
  });
});

describe("deployProblems", () => {
  it("names the placeholders wrangler.toml ships with", () => {
    const toml = readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8");
    expect(deployProblems(toml).map((p) => p.name).sort()).toEqual(["GITHUB_REPOSITORY", "OWNER_ID", "kv_namespaces.TOKENS.id"]);
    const configured = toml.replace('"00000000000000000000000000000000"', '"0123456789abcdef0123456789abcdef"').replace('"acme/infra"', '"acme/ops"').replace('OWNER_ID = "ngrok-gitops"', 'OWNER_ID = "acme-prod"');
    expect(deployProblems(configured)).toEqual([]);
  });
});
