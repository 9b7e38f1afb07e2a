// The vault on the real TOKENS KV binding inside workerd: key layout, JSON values, paged listing, seal round trip.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { KV_KEY_PREFIX, KvTokenStore } from "../../src/vault/kv-store.js";
import { generateKeyringEntry, importKeyring } from "../../src/vault/keyring.js";
import type { StoredToken } from "../../src/vault/store.js";
import { TokenVault } from "../../src/vault/vault.js";

const entry = (name: string): StoredToken => ({
  name,
  id: `cr_${name}`,
  sealed: { v: 1, kid: "k1", iv: "AAAAAAAAAAAAAAAA", ct: "c2VhbGVk" },
  stored_at: "2026-11-25T10:00:00.000Z",
});

async function clearKv() {
  let cursor: string | null = null;
  for (;;) {
    const page: KVNamespaceListResult<unknown> = await env.TOKENS.list({ cursor });
    await Promise.all(page.keys.map((k) => env.TOKENS.delete(k.name)));
    if (page.list_complete) return;
    cursor = page.cursor;
  }
}

beforeEach(clearKv);

describe("KvTokenStore", () => {
  it("writes token:<name> with the entry as a JSON value, and reads, replaces and deletes it", async () => {
    const store = new KvTokenStore(env.TOKENS);
    expect(KV_KEY_PREFIX).toBe("token:");
    await store.put(entry("ci-runners"));
    expect(await env.TOKENS.get("token:ci-runners", "json")).toEqual(entry("ci-runners"));
    expect(await store.get("ci-runners")).toEqual(entry("ci-runners"));
    await store.put({ ...entry("ci-runners"), id: "cr_new" });
    expect((await store.get("ci-runners"))?.id).toBe("cr_new");
    await store.delete("ci-runners");
    expect(await store.get("ci-runners")).toBeNull();
    await store.delete("ci-runners");
  });

  it("lists only token: keys, across pages of a small page size", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `svc-${String(i).padStart(2, "0")}`);
    const store = new KvTokenStore(env.TOKENS, { pageSize: 7 });
    await Promise.all(names.map((n) => store.put(entry(n))));
    await env.TOKENS.put("run:unrelated", "{}");
    expect((await store.list()).map((e) => e.name).sort()).toEqual(names);
  });

  it("lists more than 1000 entries through KV's own 1000-key pages", async () => {
    const names = Array.from({ length: 1005 }, (_, i) => `bulk-${String(i).padStart(4, "0")}`);
    const store = new KvTokenStore(env.TOKENS);
    for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map((n) => store.put(entry(n))));
    const listed = await store.list();
    expect(listed.length).toBe(1005);
    expect(new Set(listed.map((e) => e.name)).size).toBe(1005);
    expect(listed.find((e) => e.name === "bulk-1004")).toEqual(entry("bulk-1004"));
  });

  it("carries each entry as list metadata, so listing needs no per-key read", async () => {
    await new KvTokenStore(env.TOKENS).put(entry("meta"));
    const page = await env.TOKENS.list({ prefix: "token:" });
    expect(page.keys).toEqual([expect.objectContaining({ name: "token:meta", metadata: entry("meta") })]);

    let reads = 0;
    const counting = new Proxy(env.TOKENS, {
      get(target, prop) {
        if (prop === "get" || prop === "getWithMetadata") reads++;
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expect(await new KvTokenStore(counting).list()).toEqual([entry("meta")]);
    expect(reads).toBe(0);
  });

  it("falls back to reading the value when a key has no metadata", async () => {
    await env.TOKENS.put("token:plain", JSON.stringify(entry("plain")));
    expect(await new KvTokenStore(env.TOKENS).list()).toEqual([entry("plain")]);
  });

  it("rejects a value that is not a stored token, or is stored under another name", async () => {
    const store = new KvTokenStore(env.TOKENS);
    await env.TOKENS.put("token:junk", "{ not json");
    await expect(store.get("junk")).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID", message: "KV token:junk: value is not JSON" });
    await env.TOKENS.put("token:moved", JSON.stringify(entry("elsewhere")));
    await expect(store.get("moved")).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID" });
    await env.TOKENS.put("token:shape", JSON.stringify({ name: "shape" }));
    await expect(store.get("shape")).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID" });
  });

  it("refuses a page size KV would not honour", () => {
    expect(() => new KvTokenStore(env.TOKENS, { pageSize: 0 })).toThrow(/1 to 1000/);
    expect(() => new KvTokenStore(env.TOKENS, { pageSize: 1001 })).toThrow(/1 to 1000/);
  });
});

describe("TokenVault on KV", () => {
  it("seals with WebCrypto in workerd, stores in KV, reads back, and rotates keys", async () => {
    const e1 = generateKeyringEntry("k1");
    const e2 = generateKeyringEntry("k2");
    const store = new KvTokenStore(env.TOKENS);
    const vault = new TokenVault(store, await importKeyring(e1));
    await vault.store("ci-runners", "cr_2TMG", "2abcSECRETtoken_xyz");
    const raw = await env.TOKENS.get("token:ci-runners");
    expect(raw).not.toBeNull();
    expect(raw).not.toContain("2abcSECRETtoken_xyz");
    expect(await vault.read("ci-runners")).toEqual({ name: "ci-runners", id: "cr_2TMG", token: "2abcSECRETtoken_xyz" });

    const rotated = new TokenVault(store, await importKeyring(`${e2},${e1}`));
    expect(await rotated.rotateKeys()).toEqual({ rewrapped: 1, remaining: 0, failed: [] });
    const retired = new TokenVault(store, await importKeyring(e2));
    expect((await retired.read("ci-runners"))?.token).toBe("2abcSECRETtoken_xyz");
    await retired.remove("ci-runners");
    expect(await retired.read("ci-runners")).toBeNull();
  });
});
