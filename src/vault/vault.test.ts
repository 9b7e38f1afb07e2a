// TokenVault over the memory store: round trip, failures that must surface, entries moved between names, key rotation.
import { describe, expect, it } from "vitest";
import { generateKeyringEntry, importKeyring, type Keyring } from "./keyring.js";
import { MemoryTokenStore } from "./memory-store.js";
import type { StoredToken, TokenStore } from "./store.js";
import { TokenVault } from "./vault.js";

const E1 = generateKeyringEntry("k1");
const E2 = generateKeyringEntry("k2");
const NOW = new Date("2026-11-25T10:00:00.000Z");

async function vaultWith(ring: string, store: TokenStore = new MemoryTokenStore()) {
  const keyring: Keyring = await importKeyring(ring);
  return { store, vault: new TokenVault(store, keyring, { now: () => NOW }) };
}

class FailingStore extends MemoryTokenStore {
  fail: "put" | "get" | "delete" | "list" | null = null;
  override async put(entry: StoredToken) {
    if (this.fail === "put") throw new Error("KV PUT failed: 503");
    return super.put(entry);
  }
  override async get(name: string) {
    if (this.fail === "get") throw new Error("KV GET failed: 503");
    return super.get(name);
  }
  override async delete(name: string) {
    if (this.fail === "delete") throw new Error("KV DELETE failed: 503");
    return super.delete(name);
  }
  override async list() {
    if (this.fail === "list") throw new Error("KV LIST failed: 503");
    return super.list();
  }
}

describe("TokenVault", () => {
  it("stores a sealed entry with the id in clear and reads the token back", async () => {
    const { store, vault } = await vaultWith(E1);
    await vault.store("ci-runners", "cr_1", "tok-secret-1");
    const entry = await store.get("ci-runners");
    expect(entry).toMatchObject({ name: "ci-runners", id: "cr_1", stored_at: NOW.toISOString(), sealed: { v: 1, kid: "k1" } });
    expect(JSON.stringify(entry)).not.toContain("tok-secret-1");
    expect(await vault.read("ci-runners")).toEqual({ name: "ci-runners", id: "cr_1", token: "tok-secret-1" });
  });

  it("reads null for a name with no token, and after remove", async () => {
    const { vault } = await vaultWith(E1);
    expect(await vault.read("nope")).toBeNull();
    await vault.store("a", "cr_a", "tok-a");
    await vault.remove("a");
    expect(await vault.read("a")).toBeNull();
    await vault.remove("a");
  });

  it("replaces the token of a name (a credential replaced gets a new id and token)", async () => {
    const { vault } = await vaultWith(E1);
    await vault.store("a", "cr_old", "tok-old");
    await vault.store("a", "cr_new", "tok-new");
    expect(await vault.read("a")).toEqual({ name: "a", id: "cr_new", token: "tok-new" });
  });

  it("throws VAULT_STORE_FAILED when the write fails, keeping the cause and never the token", async () => {
    const store = new FailingStore();
    const { vault } = await vaultWith(E1, store);
    store.fail = "put";
    const error = await vault.store("a", "cr_a", "tok-secret-a").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "VAULT_STORE_FAILED", message: 'cannot store the token of "a"' });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(String((error as Error).stack)).not.toContain("tok-secret-a");
    expect(await store.get("a")).toBeNull();
  });

  it("surfaces read, remove and list failures too", async () => {
    const store = new FailingStore();
    const { vault } = await vaultWith(E1, store);
    await vault.store("a", "cr_a", "tok-a");
    store.fail = "get";
    await expect(vault.read("a")).rejects.toMatchObject({ code: "VAULT_STORE_FAILED" });
    store.fail = "delete";
    await expect(vault.remove("a")).rejects.toMatchObject({ code: "VAULT_STORE_FAILED" });
    store.fail = "list";
    await expect(vault.rotateKeys()).rejects.toMatchObject({ code: "VAULT_STORE_FAILED" });
  });

  it("refuses to open an entry copied under another name or given another id", async () => {
    const { store, vault } = await vaultWith(E1);
    await vault.store("a", "cr_a", "tok-a");
    const entry = (await store.get("a")) as StoredToken;
    await store.put({ ...entry, name: "b" });
    await expect(vault.read("b")).rejects.toMatchObject({ code: "VAULT_DECRYPT_FAILED" });
    await store.put({ ...entry, id: "cr_b" });
    await expect(vault.read("a")).rejects.toMatchObject({ code: "VAULT_DECRYPT_FAILED" });
  });
});

describe("TokenVault.rotateKeys", () => {
  it("re-seals every old entry under the new key, keeps stored_at, and is idempotent", async () => {
    const store = new MemoryTokenStore();
    const old = await vaultWith(E1, store);
    for (const n of ["a", "b", "c"]) await old.vault.store(n, `cr_${n}`, `tok-${n}`);
    const rotated = new TokenVault(store, await importKeyring(`${E2},${E1}`), { now: () => new Date(0) });
    await rotated.store("d", "cr_d", "tok-d");

    expect(await rotated.rotateKeys()).toEqual({ rewrapped: 3, remaining: 0, failed: [] });
    const entries = await store.list();
    expect(entries.map((e) => e.sealed.kid)).toEqual(["k2", "k2", "k2", "k2"]);
    expect((await store.get("a"))?.stored_at).toBe(NOW.toISOString());
    expect(await rotated.rotateKeys()).toEqual({ rewrapped: 0, remaining: 0, failed: [] });

    const retired = new TokenVault(store, await importKeyring(E2));
    for (const n of ["a", "b", "c", "d"]) expect((await retired.read(n))?.token).toBe(`tok-${n}`);
  });

  it("stops after max writes and reports what remains", async () => {
    const store = new MemoryTokenStore();
    const old = await vaultWith(E1, store);
    for (const n of ["a", "b", "c"]) await old.vault.store(n, `cr_${n}`, `tok-${n}`);
    const rotated = new TokenVault(store, await importKeyring(`${E2},${E1}`));
    expect(await rotated.rotateKeys({ max: 2 })).toEqual({ rewrapped: 2, remaining: 1, failed: [] });
    expect(await rotated.rotateKeys({ max: 2 })).toEqual({ rewrapped: 1, remaining: 0, failed: [] });
  });

  it("reports entries it cannot open and goes on with the rest", async () => {
    const store = new MemoryTokenStore();
    const { vault: v3 } = await vaultWith(generateKeyringEntry("k3"), store);
    await v3.store("lost", "cr_lost", "tok-lost");
    const { vault: v1 } = await vaultWith(E1, store);
    await v1.store("ok", "cr_ok", "tok-ok");
    const tampered = (await store.get("ok")) as StoredToken;
    await store.put({ ...tampered, name: "moved" });

    const rotated = new TokenVault(store, await importKeyring(`${E2},${E1}`));
    const result = await rotated.rotateKeys();
    expect(result.rewrapped).toBe(1);
    expect(result.failed).toEqual([
      { name: "lost", code: "VAULT_UNKNOWN_KEY" },
      { name: "moved", code: "VAULT_DECRYPT_FAILED" },
    ]);
    expect((await store.get("lost"))?.sealed.kid).toBe("k3");
  });

  it("does not overwrite an entry that changed between the listing and the write", async () => {
    const inner = new MemoryTokenStore();
    const { vault: old } = await vaultWith(E1, inner);
    await old.store("a", "cr_a", "tok-old");
    const newRing = await importKeyring(`${E2},${E1}`);
    const fresh = new TokenVault(inner, newRing);
    // A store whose list() is a stale snapshot: the token was replaced right after it was taken.
    const racing: TokenStore = {
      get: (n) => inner.get(n),
      put: (e) => inner.put(e),
      delete: (n) => inner.delete(n),
      list: async () => {
        const snapshot = await inner.list();
        await old.store("a", "cr_a2", "tok-new");
        return snapshot;
      },
    };
    expect(await new TokenVault(racing, newRing).rotateKeys()).toEqual({ rewrapped: 0, remaining: 0, failed: [] });
    expect(await fresh.read("a")).toEqual({ name: "a", id: "cr_a2", token: "tok-new" });
  });
});
