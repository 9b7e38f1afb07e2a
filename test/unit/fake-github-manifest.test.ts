// The GitHub stand-in's App manifest flow, App webhook config and branch protection, as GitHub documents them.
import { describe, expect, it } from "vitest";
import { createFakeGitHub, signAppJwt } from "../../standins/github/app.js";
import { call, ORIGIN } from "../../standins/github/test-helpers.js";
import { toPkcs8Pem } from "../../src/github/pem.js";

const MANIFEST = {
  name: "gitops-test",
  url: "https://example.com",
  hook_attributes: { url: "https://worker.example/webhooks/github" },
  redirect_url: "http://127.0.0.1:9/callback",
  default_permissions: { contents: "read", pull_requests: "write", checks: "write" },
  default_events: ["push", "pull_request"],
};

const form = (fields: Record<string, string>) => ({ method: "POST", headers: { "User-Agent": "test", "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });

async function register(fake: ReturnType<typeof createFakeGitHub>, manifest: unknown, name = "gitops-test") {
  const page = await fake.app.request(`${ORIGIN}/settings/apps/new?state=s1`, form({ manifest: JSON.stringify(manifest) }));
  const created = await fake.app.request(`${ORIGIN}/settings/apps`, form({ manifest: JSON.stringify(manifest), name, state: "s1" }));
  return { page, created };
}

describe("App manifest flow", () => {
  it("registers the App, redirects with a one-time code and converts it into id, pem and webhook secret", async () => {
    const fake = createFakeGitHub({ repos: [{ fullName: "octocat/infra", files: { "a.txt": "a" } }] });
    const { page, created } = await register(fake, MANIFEST);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Create GitHub App for octocat");
    expect(created.status).toBe(302);
    const location = new URL(created.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe("http://127.0.0.1:9/callback");
    expect(location.searchParams.get("state")).toBe("s1");
    const code = location.searchParams.get("code") ?? "";
    const converted = await call(fake, "POST", `/app-manifests/${code}/conversions`, { token: null });
    expect(converted.status).toBe(201);
    const app = converted.json as { id: number; slug: string; pem: string; webhook_secret: string; client_id: string; events: string[]; permissions: Record<string, string> };
    expect(app.slug).toBe("gitops-test");
    expect(app.pem).toContain("BEGIN RSA PRIVATE KEY");
    expect(app.webhook_secret).toMatch(/^[0-9a-f]{40}$/);
    expect(app.permissions).toEqual({ metadata: "read", contents: "read", pull_requests: "write", checks: "write" });
    expect(app.events).toEqual(["push", "pull_request"]);
    // The code converts once.
    expect((await call(fake, "POST", `/app-manifests/${code}/conversions`, { token: null })).status).toBe(404);
    // The pem is the App's key: its JWT reads the App and its webhook config (secret masked).
    const now = Math.floor(Date.now() / 1000);
    const jwt = await signAppJwt(toPkcs8Pem(app.pem), { iss: app.id, iat: now - 30, exp: now + 300 });
    expect(((await call(fake, "GET", "/app", { token: jwt, scheme: "Bearer" })).json as { id: number }).id).toBe(app.id);
    const hook = await call(fake, "GET", "/app/hook/config", { token: jwt, scheme: "Bearer" });
    expect(hook.json).toEqual({ content_type: "json", insecure_ssl: "0", url: "https://worker.example/webhooks/github", secret: "********" });
    // Not installed yet.
    expect((await call(fake, "GET", "/repos/octocat/infra/installation", { token: jwt, scheme: "Bearer" })).status).toBe(404);
    const install = await fake.app.request(`${ORIGIN}/apps/gitops-test/installations`, form({ repository_selection: "selected", repositories: "octocat/infra" }));
    expect(install.status).toBe(200);
    const installation = await call(fake, "GET", "/repos/octocat/infra/installation", { token: jwt, scheme: "Bearer" });
    expect(installation.status).toBe(200);
    expect((installation.json as { app_id: number; permissions: Record<string, string> }).app_id).toBe(app.id);
  });

  it("refuses what GitHub refuses: no url, events without their permission, a taken name", async () => {
    const fake = createFakeGitHub();
    const bad = await register(fake, { ...MANIFEST, url: undefined, default_permissions: { checks: "write" } });
    expect(bad.page.status).toBe(422);
    const text = await bad.page.text();
    expect(text).toContain("Url is required");
    expect(text).toContain("push needs the contents permission");
    expect((await register(fake, MANIFEST)).created.status).toBe(302);
    const again = await register(fake, MANIFEST);
    expect(again.created.status).toBe(422);
    expect(await again.created.text()).toContain("Name is already in use");
  });
});

describe("branch protection", () => {
  it("answers 404 until protected, then the required checks; an App JWT or an installation without administration is refused", async () => {
    const fake = createFakeGitHub({ tokens: [{ token: "admin", login: "octocat" }, { token: "inst", installation: true }], repos: [{ fullName: "octocat/infra", files: { "a.txt": "a" } }] });
    const path = "/repos/octocat/infra/branches/main/protection";
    const before = await call(fake, "GET", path, { token: "admin" });
    expect(before.status).toBe(404);
    expect((before.json as { message: string }).message).toBe("Branch not protected");
    const missing = await call(fake, "PUT", path, { token: "admin", body: { required_status_checks: { strict: true, contexts: ["ngrok-gitops/plan"] } } });
    expect(missing.status).toBe(422);
    expect((missing.json as { message: string }).message).toContain(`"enforce_admins", "required_pull_request_reviews", "restrictions" weren't supplied.`);
    const put = await call(fake, "PUT", path, { token: "admin", body: { required_status_checks: { strict: true, contexts: ["ngrok-gitops/plan"] }, enforce_admins: true, required_pull_request_reviews: null, restrictions: null } });
    expect(put.status).toBe(200);
    const got = await call(fake, "GET", path, { token: "admin" });
    expect((got.json as { required_status_checks: { contexts: string[] } }).required_status_checks.contexts).toEqual(["ngrok-gitops/plan"]);
    expect((await call(fake, "GET", path, { token: "inst" })).status).toBe(403);
  });
});
