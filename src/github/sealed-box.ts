// libsodium's crypto_box_seal (what GitHub wants for Actions secrets) without WASM, which workerd refuses to compile at runtime.
//
// Why these parts: X25519 comes from WebCrypto, native and constant-time in both workerd and Node; HSalsa20 and
// XSalsa20-Poly1305 come from @noble/ciphers and BLAKE2b from @noble/hashes (audited, maintained, no dependencies,
// pure ESM). libsodium-wrappers itself fails in workerd with "Wasm code generation disallowed by embedder".
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { swap32IfBE, u32 } from "@noble/ciphers/utils.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { decodeBase64, encodeBase64 } from "../vault/base64.js";

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const X25519 = { name: "X25519" } as const;

export class SealedBoxError extends Error {
  readonly code = "SEALED_BOX_INVALID_PUBLIC_KEY";
  constructor(message: string) {
    super(message);
    this.name = "SealedBoxError";
  }
}

/**
 * base64 of `crypto_box_seal(message, publicKey)`: an ephemeral X25519 public key followed by an XSalsa20-Poly1305
 * box under nonce = BLAKE2b-192(ephemeral_pk || recipient_pk). Only the holder of the recipient's secret key opens it.
 */
export async function sealTo(publicKeyBase64: string, message: string): Promise<string> {
  const recipient = decodeBase64(publicKeyBase64);
  if (recipient === null) throw new SealedBoxError("the recipient public key is not standard base64");
  if (recipient.length !== KEY_BYTES) {
    throw new SealedBoxError(`the recipient public key is ${recipient.length} bytes; X25519 keys are ${KEY_BYTES}`);
  }
  const recipientKey = await crypto.subtle.importKey("raw", recipient, X25519, true, []);
  const ephemeral = (await crypto.subtle.generateKey(X25519, false, ["deriveBits"])) as CryptoKeyPair;
  const ephemeralPublic = new Uint8Array((await crypto.subtle.exportKey("raw", ephemeral.publicKey)) as ArrayBuffer);
  let shared: Uint8Array;
  try {
    shared = new Uint8Array(await crypto.subtle.deriveBits({ ...X25519, public: recipientKey } as never, ephemeral.privateKey, 256));
  } catch (cause) {
    // WebCrypto refuses low-order points (an all-zero shared secret), as libsodium's crypto_scalarmult does.
    throw new SealedBoxError(`the recipient public key is not usable for X25519: ${(cause as Error).message}`);
  }
  const key = boxKey(shared);
  const nonce = blake2b(concat(ephemeralPublic, recipient), { dkLen: NONCE_BYTES });
  const box = xsalsa20poly1305(key, nonce).encrypt(new TextEncoder().encode(message));
  key.fill(0);
  shared.fill(0);
  return encodeBase64(concat(ephemeralPublic, box));
}

/** crypto_box_beforenm: HSalsa20 of the X25519 shared secret with a zero input block. */
export function boxKey(shared: Uint8Array): Uint8Array {
  // hsalsa reads word views of raw bytes (it byte-swaps them itself on big-endian hosts), like noble's own XSalsa20.
  const sigma = u32(new TextEncoder().encode("expand 32-byte k"));
  const out = new Uint32Array(8);
  hsalsa(sigma, u32(shared), new Uint32Array(4), out);
  swap32IfBE(out);
  return new Uint8Array(out.buffer);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
