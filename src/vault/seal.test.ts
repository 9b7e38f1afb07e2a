// Sealing: round trip, binding to credential id and name, tamper detection, key rotation and fresh IVs.
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { VaultError } from "./errors.js";
import { importKeyring } from "./keyring.js";
import { openToken, parseSealedToken, rewrap, sealToken, type SealedToken } from "./seal.js";

const raw1 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const raw2 = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const K1 = `k1:${encodeBase64(raw1)}`;
const K2 = `k2:${encodeBase64(raw2)}`;
const TOKEN = "2abcDEFghiJKLmnoPQRstuVWXyz_0123456789abcdefGHIJK";
const BINDING = { id: "cr_2TMGabc", name: "ci-runners" };

async function failure(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

function flipBit(b64: string, index: number): string {
  const bytes = decodeBase64(b64);
  if (bytes === null) throw new Error("fixture is not base64");
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return encodeBase64(bytes);
}

function expectNoSecrets(error: VaultError, sealed: SealedToken) {
  for (const text of [error.message, String(error.stack)]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(sealed.ct);
    expect(text).not.toContain(sealed.iv);
  }
}

describe("sealToken / openToken", () => {
  it("round-trips a token under the current key", async () => {
    const ring = await importKeyring(`${K1},${K2}`);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    expect(sealed.v).toBe(1);
    expect(sealed.kid).toBe("k1");
    expect(decodeBase64(sealed.iv)?.length).toBe(12);
    expect(decodeBase64(sealed.ct)?.length).toBe(TOKEN.length + 16);
    expect(sealed.ct).not.toContain(TOKEN);
    expect(await openToken(ring, sealed, BINDING)).toBe(TOKEN);
  });

  it("round-trips non-ASCII text", async () => {
    const ring = await importKeyring(K1);
    const token = "tök€n-😀";
    expect(await openToken(ring, await sealToken(ring, token, BINDING), BINDING)).toBe(token);
  });

  it("is plain AES-256-GCM with additional data ngrok-gitops/v1 NUL id NUL name (the at-rest format)", async () => {
    const ring = await importKeyring(K1);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    const key = await crypto.subtle.importKey("raw", raw1, "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: decodeBase64(sealed.iv) ?? new Uint8Array(),
        additionalData: new TextEncoder().encode(`ngrok-gitops/v1\0${BINDING.id}\0${BINDING.name}`),
      },
      key,
      decodeBase64(sealed.ct) ?? new Uint8Array(),
    );
    expect(new TextDecoder().decode(plain)).toBe(TOKEN);
  });

  it("uses a fresh random IV for every seal", async () => {
    const ring = await importKeyring(K1);
    const seals = await Promise.all(Array.from({ length: 200 }, () => sealToken(ring, TOKEN, BINDING)));
    expect(new Set(seals.map((s) => s.iv)).size).toBe(200);
    expect(new Set(seals.map((s) => s.ct)).size).toBe(200);
  });

  it.each([
    ["another credential id", { id: "cr_other", name: BINDING.name }],
    ["another spec name", { id: BINDING.id, name: "other-name" }],
    ["id and name run together differently", { id: "cr_2TMGabc\0ci", name: "runners" }],
  ])("does not open under %s", async (label, binding) => {
    const ring = await importKeyring(K1);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    const error = await failure(openToken(ring, sealed, binding));
    if (label.includes("run together")) {
      // NUL would make the encoding ambiguous, so it is refused outright.
      expect(error.code).toBe("VAULT_INPUT_INVALID");
      return;
    }
    expect(error.code).toBe("VAULT_DECRYPT_FAILED");
    expect(error.message).toBe(
      `cannot open the token of "${binding.name}" (credential ${binding.id}) with key "k1": it was altered or sealed for another credential`,
    );
    expectNoSecrets(error, sealed);
  });

  it.each([
    ["the first ciphertext byte", (s: SealedToken) => ({ ...s, ct: flipBit(s.ct, 0) })],
    ["the tag", (s: SealedToken) => ({ ...s, ct: flipBit(s.ct, TOKEN.length + 15) })],
    ["the IV", (s: SealedToken) => ({ ...s, iv: flipBit(s.iv, 11) })],
    ["a truncated ciphertext", (s: SealedToken) => ({ ...s, ct: encodeBase64((decodeBase64(s.ct) ?? new Uint8Array()).slice(0, 10)) })],
    ["a short IV", (s: SealedToken) => ({ ...s, iv: encodeBase64(new Uint8Array(8)) })],
    ["non-base64 ciphertext", (s: SealedToken) => ({ ...s, ct: `${s.ct}!` })],
  ])("detects tampering with %s", async (_, tamper) => {
    const ring = await importKeyring(K1);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    const error = await failure(openToken(ring, tamper(sealed), BINDING));
    expect(error.code).toBe("VAULT_DECRYPT_FAILED");
    expectNoSecrets(error, sealed);
  });

  it("fails when the kid is relabelled to another key of the ring", async () => {
    const ring = await importKeyring(`${K1},${K2}`);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    expect((await failure(openToken(ring, { ...sealed, kid: "k2" }, BINDING))).code).toBe("VAULT_DECRYPT_FAILED");
  });

  it("reports a kid the ring does not hold as VAULT_UNKNOWN_KEY", async () => {
    const sealed = await sealToken(await importKeyring(K1), TOKEN, BINDING);
    const error = await failure(openToken(await importKeyring(K2), sealed, BINDING));
    expect(error.code).toBe("VAULT_UNKNOWN_KEY");
    expect(error.message).toBe(
      'cannot open the token of "ci-runners" (credential cr_2TMGabc): it was sealed with key "k1", which TOKEN_ENCRYPTION_KEYS no longer holds',
    );
    expectNoSecrets(error, sealed);
  });

  it("refuses an empty token and NUL or empty binding fields", async () => {
    const ring = await importKeyring(K1);
    expect((await failure(sealToken(ring, "", BINDING))).code).toBe("VAULT_INPUT_INVALID");
    expect((await failure(sealToken(ring, TOKEN, { id: "", name: "x" }))).code).toBe("VAULT_INPUT_INVALID");
    expect((await failure(sealToken(ring, TOKEN, { id: "cr_1", name: "a\0b" }))).code).toBe("VAULT_INPUT_INVALID");
  });
});

describe("key rotation", () => {
  it("opens a token sealed under a key that is now second in the ring", async () => {
    const sealed = await sealToken(await importKeyring(K1), TOKEN, BINDING);
    const rotated = await importKeyring(`${K2},${K1}`);
    expect(await openToken(rotated, sealed, BINDING)).toBe(TOKEN);
  });

  it("rewrap re-seals under the current key, so the old key can then be retired", async () => {
    const sealed = await sealToken(await importKeyring(K1), TOKEN, BINDING);
    const rewrapped = await rewrap(await importKeyring(`${K2},${K1}`), sealed, BINDING);
    expect(rewrapped.kid).toBe("k2");
    expect(rewrapped.iv).not.toBe(sealed.iv);
    expect(await openToken(await importKeyring(K2), rewrapped, BINDING)).toBe(TOKEN);
  });

  it("rewrap returns the same object when the token is already under the current key", async () => {
    const ring = await importKeyring(`${K2},${K1}`);
    const sealed = await sealToken(ring, TOKEN, BINDING);
    expect(await rewrap(ring, sealed, BINDING)).toBe(sealed);
  });

  it("rewrap keeps the binding: it refuses to re-seal a token for the wrong credential", async () => {
    const sealed = await sealToken(await importKeyring(K1), TOKEN, BINDING);
    const error = await failure(rewrap(await importKeyring(`${K2},${K1}`), sealed, { ...BINDING, id: "cr_other" }));
    expect(error.code).toBe("VAULT_DECRYPT_FAILED");
  });
});

describe("parseSealedToken", () => {
  it("accepts the vault's shape and drops extra fields", () => {
    expect(parseSealedToken({ v: 1, kid: "k1", iv: "a", ct: "b", extra: 1 }, "x")).toEqual({ v: 1, kid: "k1", iv: "a", ct: "b" });
  });

  it.each([null, "s", { v: 2, kid: "k1", iv: "a", ct: "b" }, { v: 1, kid: "bad kid", iv: "a", ct: "b" }, { v: 1, kid: "k1", iv: 1, ct: "b" }, { v: 1, kid: "k1", iv: "a" }])(
    "rejects %j without quoting it",
    (value) => {
      expect(() => parseSealedToken(value, "KV token:x")).toThrow(
        new VaultError("VAULT_RECORD_INVALID", "KV token:x: not a sealed token {v: 1, kid, iv, ct}"),
      );
    },
  );
});
