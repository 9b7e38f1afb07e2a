// Service users (/service_users, /bot_users), API keys and SSH credentials on the emulator: fields, limits, errors, paging, owners and the shared rate limit.
import { describe, expect, it } from "vitest";
import { createEmulator } from "./app.js";
import { ecdsaPublicKey, ed25519PublicKey, mislabelled, rsaPublicKey } from "./ssh-fixtures.js";
import { ORIGIN, call, freshKey, rec } from "./test-helpers.js";

const em = createEmulator({ rateLimit: "off" });

async function ok(key: string, method: string, path: string, body?: unknown, status = method === "POST" ? 201 : 200): Promise<Record<string, unknown>> {
  const res = await call(em, method, path, body === undefined ? { key } : { key, body });
  expect(res.status, res.text).toBe(status);
  return rec(res.json);
}
async function refused(key: string, method: string, path: string, body: unknown, status: number, code: string): Promise<string> {
  const res = await call(em, method, path, body === undefined ? { key } : { key, body });
  expect(res.status, res.text).toBe(status);
  expect(rec(res.json)).toMatchObject({ error_code: code, status_code: status });
  return res.text;
}

describe("service users", () => {
  it("are served at /service_users and /bot_users alike: bot_ ids, name, active (default true), created_at; roles only on /service_users", async () => {
    const key = freshKey();
    const su = await ok(key, "POST", "/service_users", { name: "ci", roles: ["admin"] });
    expect(Object.keys(su)).toEqual(["id", "uri", "name", "active", "created_at", "roles"]);
    expect(su).toMatchObject({ name: "ci", active: true, roles: ["admin"], uri: `${ORIGIN}/service_users/${String(su.id)}` });
    expect(su.id).toMatch(/^bot_[0-9A-Za-z]{27}$/);
    expect(su.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const asBot = await ok(key, "GET", `/bot_users/${String(su.id)}`);
    expect(asBot).toEqual({ id: su.id, uri: `${ORIGIN}/bot_users/${String(su.id)}`, name: "ci", active: true, created_at: su.created_at });
    await refused(key, "POST", "/bot_users", { name: "x", roles: [] }, 400, "ERR_NGROK_214");
    const bot = await ok(key, "POST", "/bot_users", { name: "old", active: false });
    expect((await ok(key, "GET", "/service_users")).service_users).toEqual([
      { id: bot.id, uri: `${ORIGIN}/service_users/${String(bot.id)}`, name: "old", active: false, created_at: bot.created_at },
      su,
    ]);
    expect(rec(await ok(key, "GET", "/bot_users")).bot_users).toHaveLength(2);
  });

  it("need a name, update with at least one value (ERR_NGROK_606) and take the id in the body", async () => {
    const key = freshKey();
    await refused(key, "POST", "/service_users", {}, 400, "ERR_NGROK_4109");
    await refused(key, "POST", "/service_users", { name: "  " }, 400, "ERR_NGROK_4109");
    await refused(key, "POST", "/service_users", { name: "a", active: "yes" }, 400, "ERR_NGROK_215");
    const su = await ok(key, "POST", "/service_users", { name: "a" });
    const path = `/service_users/${String(su.id)}`;
    expect(await ok(key, "PATCH", path, { id: su.id, active: false })).toMatchObject({ name: "a", active: false });
    expect(await ok(key, "PATCH", path, { name: "b" })).toMatchObject({ name: "b", active: false });
    await refused(key, "PATCH", path, { id: su.id }, 400, "ERR_NGROK_606");
    await refused(key, "PATCH", path, { name: "" }, 400, "ERR_NGROK_4109");
    await refused(key, "PATCH", path, { id: "bot_other", name: "c" }, 400, "ERR_NGROK_227");
    await refused(key, "GET", "/service_users/bot_missing", undefined, 404, "ERR_NGROK_404");
    await refused(key, "PUT", path, { name: "c" }, 405, "ERR_NGROK_405");
  });

  it("that still own an API key, SSH credential or credential cannot be deleted (409, our pick); once they own nothing they can", async () => {
    const key = freshKey();
    const su = await ok(key, "POST", "/service_users", { name: "owner" });
    const ak = await ok(key, "POST", "/api_keys", { owner_id: su.id });
    const ssh = await ok(key, "POST", "/ssh_credentials", { public_key: ed25519PublicKey().publicKey, acl: [], owner_id: su.id });
    const cr = await ok(key, "POST", "/credentials", { owner_id: su.id });
    const path = `/service_users/${String(su.id)}`;
    for (const [owned, kind] of [[ak, "api_keys"], [ssh, "ssh_credentials"], [cr, "credentials"]] as const) {
      const text = await refused(key, "DELETE", path, undefined, 409, "ERR_NGROK_409");
      expect(text).toContain(String(owned.id));
      await ok(key, "DELETE", `/${kind}/${String(owned.id)}`, undefined, 204);
    }
    await ok(key, "DELETE", path, undefined, 204);
    await refused(key, "GET", path, undefined, 404, "ERR_NGROK_404");
  });
});

describe("API keys", () => {
  it("return the token once, on create; list under `keys`; owner_id defaults to the account's user", async () => {
    const key = freshKey();
    const created = await ok(key, "POST", "/api_keys", { description: "ci", metadata: "{}" });
    expect(Object.keys(created)).toEqual(["id", "uri", "description", "metadata", "created_at", "token", "owner_id"]);
    expect(created.id).toMatch(/^ak_[0-9A-Za-z]{27}$/);
    expect(created.token).toMatch(/^[0-9A-Za-z]{27}_[0-9A-Za-z]{25}$/);
    expect(created.owner_id).toBe(em.account(key).ownerId);
    const read = await ok(key, "GET", `/api_keys/${String(created.id)}`);
    expect(read).toEqual({ ...created, token: null });
    const list = await ok(key, "GET", "/api_keys");
    expect(list).toEqual({ keys: [{ ...created, token: null }], uri: `${ORIGIN}/api_keys`, next_page_uri: null });
    expect(await ok(key, "PATCH", `/api_keys/${String(created.id)}`, { id: created.id, description: "renamed" })).toMatchObject({ description: "renamed", metadata: "{}", token: null });
    await refused(key, "PATCH", `/api_keys/${String(created.id)}`, { owner_id: created.owner_id }, 400, "ERR_NGROK_214");
    await refused(key, "PATCH", `/api_keys/${String(created.id)}`, {}, 400, "ERR_NGROK_606");
  });

  it("keep ngrok's byte limits: description 255 bytes, metadata 4,096 bytes (UTF-8 bytes, not characters)", async () => {
    const key = freshKey();
    await ok(key, "POST", "/api_keys", { description: "é".repeat(127) + "a", metadata: "m".repeat(4096) });
    await refused(key, "POST", "/api_keys", { description: "é".repeat(128) }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/api_keys", { metadata: "m".repeat(4097) }, 400, "ERR_NGROK_100");
    const ak = await ok(key, "POST", "/api_keys", {});
    await refused(key, "PATCH", `/api_keys/${String(ak.id)}`, { metadata: "€".repeat(1366) }, 400, "ERR_NGROK_100");
  });

  it("owner_id must name the account's user or one of its service users", async () => {
    const key = freshKey();
    const other = freshKey();
    const foreign = await ok(other, "POST", "/service_users", { name: "not yours" });
    await refused(key, "POST", "/api_keys", { owner_id: "bot_2abcdefghijklmnopqrstuvwxyz" }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/api_keys", { owner_id: foreign.id }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/api_keys", { owner_id: "ak_1" }, 400, "ERR_NGROK_243");
    const su = await ok(key, "POST", "/service_users", { name: "mine" });
    expect((await ok(key, "POST", "/api_keys", { owner_id: su.id })).owner_id).toBe(su.id);
    expect((await ok(key, "POST", "/api_keys", { owner_id: em.account(key).ownerId })).owner_id).toBe(em.account(key).ownerId);
  });

  it("a created key authenticates as its account (even with an allow-list of keys) until it is deleted", async () => {
    const strict = createEmulator({ rateLimit: "off", apiKeys: ["root"] });
    const ak = rec((await call(strict, "POST", "/api_keys", { key: "root", body: { description: "minted" } })).json);
    const token = String(ak.token);
    const listed = await call(strict, "GET", "/api_keys", { key: token });
    expect(listed.status).toBe(200);
    expect(rec(listed.json).keys).toEqual([{ ...ak, token: null }]);
    expect((await call(strict, "DELETE", `/api_keys/${String(ak.id)}`, { key: "root" })).status).toBe(204);
    expect(rec((await call(strict, "GET", "/api_keys", { key: token })).json)).toMatchObject({ error_code: "ERR_NGROK_203", status_code: 401 });
  });
});

describe("SSH credentials", () => {
  it("store the supplied ed25519, rsa or ecdsa public key with description, metadata, acl and owner_id", async () => {
    const key = freshKey();
    for (const publicKey of [ed25519PublicKey().publicKey, rsaPublicKey(), ecdsaPublicKey()]) {
      const created = await ok(key, "POST", "/ssh_credentials", { description: "d", metadata: "m", acl: ["bind:x.example.com"], public_key: publicKey });
      expect(Object.keys(created)).toEqual(["id", "uri", "created_at", "description", "metadata", "public_key", "acl", "owner_id"]);
      expect(created).toMatchObject({ public_key: publicKey, acl: ["bind:x.example.com"], owner_id: em.account(key).ownerId });
      expect(created.id).toMatch(/^sshcr_[0-9A-Za-z]{27}$/);
      expect(created).not.toHaveProperty("token");
    }
    expect(rec(await ok(key, "GET", "/ssh_credentials")).ssh_credentials).toHaveLength(3);
  });

  it("refuse what is not a public key of its stated type, and a private key without echoing it", async () => {
    const key = freshKey();
    const { publicKey, privateKeyPem } = ed25519PublicKey();
    await refused(key, "POST", "/ssh_credentials", { acl: [] }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/ssh_credentials", { public_key: "ssh-dss AAAAB3NzaC1kc3M=" }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/ssh_credentials", { public_key: "ssh-ed25519 not*base64" }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/ssh_credentials", { public_key: mislabelled(publicKey, "ssh-rsa") }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/ssh_credentials", { public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5" }, 400, "ERR_NGROK_215");
    const text = await refused(key, "POST", "/ssh_credentials", { public_key: privateKeyPem }, 400, "ERR_NGROK_215");
    const body = privateKeyPem.split("\n")[1] ?? "";
    expect(body.length).toBeGreaterThan(20);
    expect(text).not.toContain(body.slice(0, 20));
    expect(text).toContain("private key");
    expect(rec(await ok(key, "GET", "/ssh_credentials")).ssh_credentials).toEqual([]);
  });

  it("check acl rules, byte limits and owner_id like credentials; the key itself cannot be changed", async () => {
    const key = freshKey();
    const publicKey = ed25519PublicKey().publicKey;
    await refused(key, "POST", "/ssh_credentials", { public_key: publicKey, acl: ["tcp:x"] }, 400, "ERR_NGROK_600");
    await refused(key, "POST", "/ssh_credentials", { public_key: publicKey, description: "d".repeat(256) }, 400, "ERR_NGROK_215");
    await refused(key, "POST", "/ssh_credentials", { public_key: publicKey, metadata: "m".repeat(4097) }, 400, "ERR_NGROK_100");
    await refused(key, "POST", "/ssh_credentials", { public_key: publicKey, owner_id: "bot_nobody" }, 400, "ERR_NGROK_215");
    const created = await ok(key, "POST", "/ssh_credentials", { public_key: publicKey });
    const path = `/ssh_credentials/${String(created.id)}`;
    await refused(key, "PATCH", path, { public_key: ed25519PublicKey().publicKey }, 400, "ERR_NGROK_214");
    await refused(key, "PATCH", path, { id: created.id }, 400, "ERR_NGROK_606");
    expect(await ok(key, "PATCH", path, { id: created.id, acl: ["*"] })).toMatchObject({ acl: ["*"], public_key: publicKey });
  });
});

describe("paging, the same for every kind", () => {
  const kinds = [
    { path: "/service_users", prop: "service_users", prefix: "bot_", body: () => ({ name: "u" }) },
    { path: "/bot_users", prop: "bot_users", prefix: "bot_", body: () => ({ name: "u" }) },
    { path: "/api_keys", prop: "keys", prefix: "ak_", body: () => ({}) },
    { path: "/ssh_credentials", prop: "ssh_credentials", prefix: "sshcr_", body: () => ({ public_key: ed25519PublicKey().publicKey }) },
  ];
  for (const kind of kinds) {
    it(`${kind.path}: newest first, before_id and limit ≤ 100, next_page_uri, ngrok's errors`, async () => {
      const key = freshKey();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(String((await ok(key, "POST", kind.path, kind.body())).id));
      for (const id of ids) expect(id.startsWith(kind.prefix)).toBe(true);
      const newest = [...ids].reverse();
      const seen: string[] = [];
      let next: string | null = `${kind.path}?limit=2`;
      while (next !== null) {
        const page = await ok(key, "GET", next.replace(ORIGIN, ""));
        seen.push(...(page[kind.prop] as { id: string }[]).map((x) => x.id));
        expect(page.uri).toBe(`${ORIGIN}${kind.path}`);
        next = page.next_page_uri as string | null;
      }
      expect(seen).toEqual(newest);
      const before = await ok(key, "GET", `${kind.path}?before_id=${newest[1] ?? ""}&limit=100`);
      expect((before[kind.prop] as { id: string }[]).map((x) => x.id)).toEqual(newest.slice(2));
      await refused(key, "GET", `${kind.path}?limit=101`, undefined, 400, "ERR_NGROK_233");
      await refused(key, "GET", `${kind.path}?limit=ten`, undefined, 400, "ERR_NGROK_244");
      await refused(key, "GET", `${kind.path}?before_id=cr_1`, undefined, 400, "ERR_NGROK_227");
      await refused(key, "GET", `${kind.path}?page=2`, undefined, 400, "ERR_NGROK_231");
    });
  }
});

describe("one account, one rate limit, every kind", () => {
  it("calls to credentials, service users, API keys and SSH credentials draw on the same window (ERR_NGROK_226)", async () => {
    const limited = createEmulator({ now: () => Date.UTC(2026, 0, 1), rateLimit: { limit: 5, windowMs: 60_000 } });
    const key = freshKey();
    const statuses: number[] = [];
    for (const path of ["/credentials", "/service_users", "/bot_users", "/api_keys", "/ssh_credentials", "/api_keys"]) {
      statuses.push((await call(limited, "GET", path, { key })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refusedCall = await call(limited, "POST", "/service_users", { key, body: { name: "x" } });
    expect(rec(refusedCall.json)).toMatchObject({ error_code: "ERR_NGROK_226", status_code: 429 });
    expect(limited.account(key).windowUsed()).toBe(5);
    // Another account has its own window.
    expect((await call(limited, "GET", "/ssh_credentials", { key: freshKey() })).status).toBe(200);
  });
});
