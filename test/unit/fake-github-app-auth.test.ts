// The fake GitHub's App auth: RS256 JWTs checked like GitHub, installation tokens minted, scoped and expiring.
import { createAppAuth } from "@octokit/auth-app";
import { beforeAll, describe, expect, it } from "vitest";
import { createFakeGitHub, generateAppKeyPair, signAppJwt, type AppKeyPair } from "../../standins/github/app.js";
import { call } from "../../standins/github/test-helpers.js";

const APP_ID = 4242;
const NOW = Date.parse("2026-03-01T12:00:00Z");
const nowSeconds = Math.floor(NOW / 1000);
let keys: AppKeyPair;
let otherKeys: AppKeyPair;

beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([generateAppKeyPair(), generateAppKeyPair()]);
});

async function setup(installations?: Array<{ id: number; repositories?: string[]; permissions?: Record<string, "read" | "write"> }>) {
  const fake = createFakeGitHub({
    app: { id: APP_ID, publicKeyPem: keys.publicKeyPem, ...(installations ? { installations } : {}) },
    repos: [
      { fullName: "acme/infra", files: { "credentials/a.yaml": "credentials: []\n" } },
      { fullName: "acme/site", files: { "README.md": "site\n" } },
    ],
    now: () => NOW,
  });
  await fake.ready;
  return fake;
}

const jwt = (claims: Partial<{ iss: number | string; iat: number; exp: number }> = {}, key = keys.privateKeyPem) =>
  signAppJwt(key, { iss: APP_ID, iat: nowSeconds - 30, exp: nowSeconds + 570, ...claims });

describe("GitHub App JWT", () => {
  it("mints an installation token from a JWT signed by @octokit/auth-app with GitHub's PKCS#1 key format", async () => {
    expect(keys.privateKeyPkcs1Pem).toContain("BEGIN RSA PRIVATE KEY");
    // auth-app signs with the real clock, so the fake uses it too for this test.
    const realClock = createFakeGitHub({ app: { id: APP_ID, publicKey: keys.publicKey }, repos: [{ fullName: "acme/infra", files: { "credentials/a.yaml": "credentials: []\n" } }] });
    await realClock.ready;
    const auth = createAppAuth({ appId: APP_ID, privateKey: keys.privateKeyPkcs1Pem });
    const { token } = await auth({ type: "app" });
    const installation = await call(realClock, "GET", "/repos/acme/infra/installation", { token, scheme: "Bearer" });
    expect(installation.status).toBe(200);
    expect(installation.json).toMatchObject({ id: 1, app_id: APP_ID, repository_selection: "all" });
    const minted = await call(realClock, "POST", "/app/installations/1/access_tokens", { token, scheme: "Bearer" });
    expect(minted.status).toBe(201);
    const body = minted.json as { token: string; expires_at: string; permissions: Record<string, string> };
    expect(body.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.permissions).toMatchObject({ checks: "write", contents: "read" });
    expect((await call(realClock, "GET", "/repos/acme/infra/git/trees/main", { token: body.token })).status).toBe(200);
  });

  it("refuses a JWT signed by another key, with a wrong iss, expired, or living longer than 10 minutes", async () => {
    const fake = await setup();
    const cases = [
      await jwt({}, otherKeys.privateKeyPem),
      await jwt({ iss: 999 }),
      await jwt({ iat: nowSeconds - 700, exp: nowSeconds - 100 }),
      await jwt({ iat: nowSeconds - 30, exp: nowSeconds + 700 }),
      "not.a.jwt",
    ];
    for (const token of cases) {
      const res = await call(fake, "POST", "/app/installations/1/access_tokens", { token, scheme: "Bearer" });
      expect(res.status, token).toBe(401);
    }
    expect((await call(fake, "POST", "/app/installations/1/access_tokens", { token: await jwt(), scheme: "Bearer" })).status).toBe(201);
  });

  it("requires a JWT for App endpoints and 404s an unknown installation", async () => {
    const fake = await setup();
    fake.addToken("ghp_user");
    const asUser = await call(fake, "POST", "/app/installations/1/access_tokens", { token: "ghp_user" });
    expect(asUser.status).toBe(401);
    expect((asUser.json as { message: string }).message).toBe("A JSON web token could not be decoded");
    expect((await call(fake, "POST", "/app/installations/77/access_tokens", { token: await jwt(), scheme: "Bearer" })).status).toBe(404);
    // A JWT is not an installation token: repository endpoints refuse it.
    expect((await call(fake, "GET", "/repos/acme/infra", { token: await jwt(), scheme: "Bearer" })).status).toBe(403);
  });
});

describe("installation tokens", () => {
  it("expire after an hour", async () => {
    const fake = await setup();
    const { token } = (await call(fake, "POST", "/app/installations/1/access_tokens", { token: await jwt(), scheme: "Bearer" })).json as { token: string };
    expect((await call(fake, "GET", "/repos/acme/infra", { token })).status).toBe(200);
    await call(fake, "POST", "/__fake/clock", { body: { advance_ms: 60 * 60 * 1000 } });
    expect((await call(fake, "GET", "/repos/acme/infra", { token })).status).toBe(401);
  });

  it("are limited to the installation's repositories and permissions", async () => {
    const fake = await setup([{ id: 9, repositories: ["acme/infra"], permissions: { metadata: "read", contents: "read", checks: "read" } }]);
    const minted = await call(fake, "POST", "/app/installations/9/access_tokens", { token: await jwt(), scheme: "Bearer" });
    const { token } = minted.json as { token: string };
    expect((await call(fake, "GET", "/repos/acme/infra/contents/credentials/a.yaml", { token })).status).toBe(200);
    expect((await call(fake, "GET", "/repos/acme/site", { token })).status).toBe(404);
    const head = fake.view("acme/infra").branches["main"] ?? "";
    const write = await call(fake, "POST", "/repos/acme/infra/check-runs", { token, body: { name: "x", head_sha: head } });
    expect(write.status).toBe(403);
    expect((write.json as { message: string }).message).toBe("Resource not accessible by integration");
    const wider = await call(fake, "POST", "/app/installations/9/access_tokens", {
      token: await jwt(),
      scheme: "Bearer",
      body: { permissions: { checks: "write" } },
    });
    expect(wider.status).toBe(422);
  });
});
