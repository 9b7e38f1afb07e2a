// The fake GitHub's Actions-secret keys: real X25519 key pairs, and crypto_box_seal_open by libsodium, an implementation independent of src/'s.
//
// libsodium is WASM, which workerd refuses to compile, so it is imported on first use (never at module load): the
// fake's modules stay importable in workerd, and the fake itself runs in Node (global setup, `npm start`).
import type Sodium from "libsodium-wrappers";
import { fromBase64, randomHex, toBase64 } from "./git-objects.js";

export type SodiumApi = typeof Sodium;

/** GitHub's documented limit for one secret's value. */
export const SECRET_VALUE_MAX_BYTES = 48 * 1024;

export interface SecretKeyPair {
  /** GitHub key ids are long decimal strings. */
  readonly keyId: string;
  /** base64 of the 32-byte public key, as `GET .../secrets/public-key` serves it. */
  readonly key: string;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

let loading: Promise<SodiumApi> | null = null;

/** Loads libsodium once per process; a failed load is not remembered, so the error shows again on the next try. */
export function loadSodium(): Promise<SodiumApi> {
  loading ??= import("libsodium-wrappers").then(
    async (module) => {
      await module.default.ready;
      return module.default;
    },
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

/**
 * A fresh key pair, or the one of `secretKey` (32 bytes): a test that supplies its own secret key can open what the
 * Worker sealed, so the fake never has to show a secret's value to prove the right token arrived.
 */
export function newSecretKeyPair(sodium: SodiumApi, secretKey?: Uint8Array): SecretKeyPair {
  if (secretKey !== undefined && secretKey.length !== sodium.crypto_box_SECRETKEYBYTES) throw new Error(`an X25519 secret key is ${sodium.crypto_box_SECRETKEYBYTES} bytes`);
  const pair = secretKey === undefined ? sodium.crypto_box_keypair() : { publicKey: sodium.crypto_scalarmult_base(secretKey), privateKey: secretKey };
  return {
    keyId: String(BigInt(`0x${randomHex(7)}`)),
    key: toBase64(pair.publicKey),
    publicKey: pair.publicKey,
    secretKey: pair.privateKey,
  };
}

export type OpenResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: "not_base64" | "does_not_open" | "not_utf8" | "too_large" };

/** Opens `encrypted_value` as GitHub does: a base64 sealed box to this key pair holding UTF-8 text of at most 48 KB. */
export function openSealedBox(sodium: SodiumApi, pair: SecretKeyPair, encryptedValue: string): OpenResult {
  if (!/^[A-Za-z0-9+/]+=*$/.test(encryptedValue)) return { ok: false, reason: "not_base64" };
  let sealed: Uint8Array;
  try {
    sealed = fromBase64(encryptedValue);
  } catch {
    return { ok: false, reason: "not_base64" };
  }
  let plain: Uint8Array;
  try {
    plain = sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.secretKey);
  } catch {
    // libsodium throws one generic error for short input, a wrong key or a forged tag: all are "does not open".
    return { ok: false, reason: "does_not_open" };
  }
  if (plain.length > SECRET_VALUE_MAX_BYTES) return { ok: false, reason: "too_large" };
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plain) };
  } catch {
    return { ok: false, reason: "not_utf8" };
  }
}
