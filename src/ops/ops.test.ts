// The pure parts of setup, deploy and doctor: wrangler.toml edits, kv create's output, the checks' verdicts, the manifest.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_EVENTS, APP_PERMISSIONS, buildManifest, DELIVERY_PERMISSIONS, manifestFormAction, manifestPage, parseConversion, webUrlFor } from "./app-manifest.js";
import { configurationProblems } from "./deploy.js";
import { missingPermissions } from "./doctor.js";
import { ownerIdFor } from "./setup.js";
import { hasPlaceholderKvId, kvId, parseKvId, readVars, withKvId, withVar } from "./wrangler.js";

const SHIPPED = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");

describe("wrangler.toml and wrangler's output", () => {
  it("reads the id `wrangler kv namespace create` prints, as TOML or JSON", () => {
    expect(parseKvId('[[kv_namespaces]]\nbinding = "TOKENS"\nid = "e29b263ab50e42ce9b637fa8370175e8"\n')).toBe("e29b263ab50e42ce9b637fa8370175e8");
    expect(parseKvId('{\n  "kv_namespaces": [\n    {\n      "binding": "TOKENS",\n      "id": "e29b263ab50e42ce9b637fa8370175e8"\n    }\n  ]\n}')).toBe("e29b263ab50e42ce9b637fa8370175e8");
    expect(parseKvId("✘ [ERROR] You are not authenticated")).toBeUndefined();
  });

  it("replaces only the TOKENS id and one [vars] value, comments kept", () => {
    expect(hasPlaceholderKvId(SHIPPED)).toBe(true);
    const edited = withVar(withKvId(SHIPPED, "0123456789abcdef0123456789abcdef"), "GITHUB_REPOSITORY", "octocat/infra");
    expect(kvId(edited)).toBe("0123456789abcdef0123456789abcdef");
    expect(hasPlaceholderKvId(edited)).toBe(false);
    expect(readVars(edited)["GITHUB_REPOSITORY"]).toBe("octocat/infra");
    expect(edited.split("\n").length).toBe(SHIPPED.split("\n").length);
    expect(edited).toContain("# Drift correction");
  });

  it("reads [vars] and nothing outside it", () => {
    const vars = readVars(SHIPPED);
    expect(vars["OWNER_ID"]).toBe("ngrok-gitops");
    expect(vars["ROTATE_AFTER"]).toBe("");
    expect(vars["binding"]).toBeUndefined();
    expect(vars["name"]).toBeUndefined();
  });
});

describe("deploy's checks", () => {
  it("names the shipped placeholders and each missing secret once", () => {
    const names = configurationProblems(SHIPPED, {}, "s.json").map((p) => p.name);
    expect(names).toEqual(["kv_namespaces.TOKENS.id", "GITHUB_REPOSITORY", "OWNER_ID", "NGROK_API_KEY", "TOKEN_ENCRYPTION_KEYS", "GITHUB_WEBHOOK_SECRET", "ADMIN_TOKEN", "GITHUB_APP_ID"]);
  });
});

describe("doctor's permission check", () => {
  it("write covers read; a missing or weaker one is named", () => {
    expect(missingPermissions({ contents: "write", checks: "write" }, { contents: "read", checks: "write" })).toEqual([]);
    expect(missingPermissions({ contents: "read", checks: "read" }, { contents: "read", checks: "write", issues: "write" })).toEqual(["checks:write", "issues:write"]);
  });
});

describe("the App manifest", () => {
  it("asks for our permissions and events, the secrets ones only with --deliver", () => {
    const input = { name: "x", workerUrl: "https://w.example/", redirectUrl: "http://127.0.0.1:1/callback", repository: "o/r", webUrl: "https://github.com" };
    const m = buildManifest(input);
    expect(m.hook_attributes.url).toBe("https://w.example/webhooks/github");
    expect(m.default_events).toEqual([...APP_EVENTS]);
    expect(m.default_permissions).toEqual(APP_PERMISSIONS);
    expect(buildManifest({ ...input, deliver: true }).default_permissions).toEqual({ ...APP_PERMISSIONS, ...DELIVERY_PERMISSIONS });
    expect(manifestFormAction("https://github.com", "acme", "s t")).toBe("https://github.com/organizations/acme/settings/apps/new?state=s%20t");
    expect(manifestPage("https://x/?a=1&b=2", { q: '"<' })).toContain('value="{&quot;q&quot;:&quot;\\&quot;&lt;&quot;}"');
  });

  it("keeps id, slug, pem and webhook secret of the conversion; refuses one without a key", () => {
    expect(parseConversion({ id: 7, slug: "s", pem: "-----BEGIN RSA PRIVATE KEY-----\n", webhook_secret: null, html_url: "h" })).toEqual({ id: 7, slug: "s", pem: "-----BEGIN RSA PRIVATE KEY-----\n", webhookSecret: null, htmlUrl: "h" });
    expect(() => parseConversion({ id: 7, slug: "s" })).toThrow("without the App's id, slug and private key");
  });

  it("derives github.com's web origin and a valid OWNER_ID", () => {
    expect(webUrlFor("https://api.github.com")).toBe("https://github.com");
    expect(webUrlFor("https://ghe.example/api/v3")).toBe("https://ghe.example");
    expect(webUrlFor("http://127.0.0.1:8789")).toBe("http://127.0.0.1:8789");
    expect(ownerIdFor("Octo.cat/in fra")).toBe("gitops-Octo.cat-in-fra");
  });
});
