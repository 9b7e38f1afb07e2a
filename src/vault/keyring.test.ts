// Keyring parsing: every malformed form has its own exact message, and no message ever repeats key material.
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "./base64.js";
import { VaultError } from "./errors.js";
import { generateKeyringEntry, importKeyring, keyringFor } from "./keyring.js";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const K1 = encodeBase64(bytes(32, 1));
const K2 = encodeBase64(bytes(32, 2));
const K16 = encodeBase64(bytes(16, 3));
const K33 = encodeBase64(bytes(33, 4));

async function rejection(text: string | undefined): Promise<VaultError> {
  const error = await importKeyring(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

/** Every run of 6 characters of the key text: a message quoting any slice of it would be caught. */
function expectNoKeyMaterial(message: string, ...keys: string[]) {
  for (const key of keys) {
    for (let i = 0; i + 6 <= key.length; i++) expect(message).not.toContain(key.slice(i, i + 6));
  }
}

describe("importKeyring", () => {
  it("imports one entry as the current key, non-extractable, for encrypt and decrypt", async () => {
    const ring = await importKeyring(`k1:${K1}`);
    expect(ring.current.kid).toBe("k1");
    expect(ring.keys.map((k) => k.kid)).toEqual(["k1"]);
    expect(ring.current.key.extractable).toBe(false);
    expect([...ring.current.key.usages].sort()).toEqual(["decrypt", "encrypt"]);
    expect(ring.current.key.algorithm).toMatchObject({ name: "AES-GCM", length: 256 });
    await expect(crypto.subtle.exportKey("raw", ring.current.key)).rejects.toThrow();
  });

  it("makes the first entry current and later entries decrypt-only", async () => {
    const ring = await importKeyring(`new:${K2},old:${K1}`);
    expect(ring.current.kid).toBe("new");
    expect(ring.keys.map((k) => k.kid)).toEqual(["new", "old"]);
    expect(ring.get("old")).toBe(ring.keys[1]?.key);
    expect([...(ring.get("old")?.usages ?? [])]).toEqual(["decrypt"]);
    expect(ring.get("missing")).toBeUndefined();
  });

  it("tolerates surrounding whitespace and a trailing newline (as `wrangler secret put` may store)", async () => {
    const ring = await importKeyring(`  k1 : ${K1} ,\n k_2.x-y:${K2}\n`);
    expect(ring.keys.map((k) => k.kid)).toEqual(["k1", "k_2.x-y"]);
  });

  it("accepts URL-safe and unpadded base64 for the same 32 bytes", async () => {
    const raw = Uint8Array.from({ length: 32 }, (_, i) => 0xf8 + (i % 8)); // produces + and / in base64
    const standard = encodeBase64(raw);
    expect(standard).toMatch(/[+/]/);
    const urlSafe = standard.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    await expect(importKeyring(`a:${urlSafe}`)).resolves.toBeDefined();
  });

  it("accepts a 32-character kid and rejects a 33-character one", async () => {
    await expect(importKeyring(`${"k".repeat(32)}:${K1}`)).resolves.toBeDefined();
    expect((await rejection(`${"k".repeat(33)}:${K1}`)).message).toBe(
      "TOKEN_ENCRYPTION_KEYS entry 1: key id must be 1-32 characters of A-Z a-z 0-9 _ . -",
    );
  });

  const bad: [string, string | undefined, string, string][] = [
    ["undefined", undefined, "VAULT_KEYRING_MISSING", "TOKEN_ENCRYPTION_KEYS is empty: expected kid:base64key[,kid:base64key...]"],
    ["blank", "  \n", "VAULT_KEYRING_MISSING", "TOKEN_ENCRYPTION_KEYS is empty: expected kid:base64key[,kid:base64key...]"],
    ["a stray comma", `k1:${K1},,k2:${K2}`, "VAULT_KEYRING_INVALID", "TOKEN_ENCRYPTION_KEYS entry 2 is empty (stray comma?)"],
    ["a bare key without kid", K1, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 1 has no "kid:" prefix; expected kid:base64key'],
    ["a bare key in second place", `k1:${K1},${K2}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 2 has no "kid:" prefix; expected kid:base64key'],
    ["an empty kid", `:${K1}`, "VAULT_KEYRING_INVALID", "TOKEN_ENCRYPTION_KEYS entry 1: key id must be 1-32 characters of A-Z a-z 0-9 _ . -"],
    ["a kid with a bad character", `k 1:${K1}`, "VAULT_KEYRING_INVALID", "TOKEN_ENCRYPTION_KEYS entry 1: key id must be 1-32 characters of A-Z a-z 0-9 _ . -"],
    ["key and kid swapped", `${K1}:k1`, "VAULT_KEYRING_INVALID", "TOKEN_ENCRYPTION_KEYS entry 1: key id must be 1-32 characters of A-Z a-z 0-9 _ . -"],
    ["a duplicate kid", `k1:${K1},k2:${K2},k1:${K2}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 3: key id "k1" is already used by entry 1'],
    ["invalid base64", `k1:${K1.slice(0, 20)}!${K1.slice(21)}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 1 (kid "k1"): key is not valid base64'],
    ["a second colon", `k1:${K1.slice(0, 20)}:${K1.slice(20)}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 1 (kid "k1"): key is not valid base64'],
    ["a 16-byte key", `k1:${K1},short:${K16}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 2 (kid "short"): key is 16 bytes after base64 decoding; AES-256 needs exactly 32'],
    ["a 33-byte key", `long:${K33}`, "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 1 (kid "long"): key is 33 bytes after base64 decoding; AES-256 needs exactly 32'],
    ["an empty key", "k1:", "VAULT_KEYRING_INVALID", 'TOKEN_ENCRYPTION_KEYS entry 1 (kid "k1"): key is 0 bytes after base64 decoding; AES-256 needs exactly 32'],
  ];

  it.each(bad)("rejects %s with its exact message and no key material", async (_, text, code, message) => {
    const error = await rejection(text);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expectNoKeyMaterial(error.message, K1, K2, K16, K33);
    expectNoKeyMaterial(String(error.stack), K1, K2, K16, K33);
  });
});

describe("generateKeyringEntry", () => {
  it("returns kid:base64 of 32 fresh random bytes that importKeyring accepts", async () => {
    const a = generateKeyringEntry("dev-2026");
    const b = generateKeyringEntry("dev-2026");
    expect(a).toMatch(/^dev-2026:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    const ring = await importKeyring(`${a},old:${b.split(":")[1]}`);
    expect(ring.current.kid).toBe("dev-2026");
  });

  it("refuses a kid the parser would refuse", () => {
    expect(() => generateKeyringEntry("no spaces")).toThrow(VaultError);
    expect(() => generateKeyringEntry("")).toThrow(/key id must be 1-32 characters/);
  });
});

describe("keyringFor", () => {
  it("imports once per distinct text and forgets failures", async () => {
    const text = `k1:${K1}`;
    const first = await keyringFor(text);
    expect(await keyringFor(text)).toBe(first);
    expect(await keyringFor(`k2:${K2}`)).not.toBe(first);
    await expect(keyringFor("bad")).rejects.toMatchObject({ code: "VAULT_KEYRING_INVALID" });
    await expect(keyringFor("bad")).rejects.toMatchObject({ code: "VAULT_KEYRING_INVALID" });
    expect((await keyringFor(text)).current.kid).toBe("k1");
  });
});
