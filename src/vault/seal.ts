// Sealing one authtoken: AES-256-GCM under the keyring's current key, bound by additional data to its credential id and spec name.
import { decodeBase64, encodeBase64 } from "./base64.js";
import { VaultError } from "./errors.js";
import { KID_PATTERN, type Keyring } from "./keyring.js";

/** The vault's at-rest format for one token (stored as JSON). */
export interface SealedToken {
  v: 1;
  /** Which keyring entry sealed it. */
  kid: string;
  /** base64 of the random 96-bit IV. */
  iv: string;
  /** base64 of ciphertext followed by the 128-bit GCM tag. */
  ct: string;
}

/** What a sealed token belongs to; opening it under any other binding fails. */
export interface TokenBinding {
  /** ngrok credential id, e.g. `cr_...`. */
  id: string;
  /** Spec name of the credential. */
  name: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_PREFIX = "ngrok-gitops/v1";

export async function sealToken(keyring: Keyring, token: string, binding: TokenBinding): Promise<SealedToken> {
  if (token === "") throw new VaultError("VAULT_INPUT_INVALID", `refusing to seal an empty token for "${binding.name}"`);
  const aad = additionalData(binding);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const { kid, key } = keyring.current;
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad, tagLength: TAG_BYTES * 8 },
    key,
    new TextEncoder().encode(token),
  );
  return { v: 1, kid, iv: encodeBase64(iv), ct: encodeBase64(new Uint8Array(ct)) };
}

export async function openToken(keyring: Keyring, sealed: SealedToken, binding: TokenBinding): Promise<string> {
  const aad = additionalData(binding);
  const subject = `the token of "${binding.name}" (credential ${binding.id})`;
  const key = keyring.get(sealed.kid);
  if (key === undefined) {
    throw new VaultError(
      "VAULT_UNKNOWN_KEY",
      `cannot open ${subject}: it was sealed with key "${sealed.kid}", which TOKEN_ENCRYPTION_KEYS no longer holds`,
    );
  }
  const iv = decodeBase64(sealed.iv);
  const ct = decodeBase64(sealed.ct);
  const failed = (cause?: unknown) =>
    new VaultError(
      "VAULT_DECRYPT_FAILED",
      `cannot open ${subject} with key "${sealed.kid}": it was altered or sealed for another credential`,
      cause === undefined ? undefined : { cause },
    );
  if (iv === null || iv.length !== IV_BYTES || ct === null || ct.length < TAG_BYTES) throw failed();
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: TAG_BYTES * 8 }, key, ct);
  } catch (error) {
    // WebCrypto reports a failed tag check as an OperationError without detail; it carries no secret.
    throw failed(error);
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
}

/**
 * Key rotation for one token: re-seals under the current key when it was sealed with another one.
 * Returns the very same object when nothing had to change, so callers can tell by identity.
 */
export async function rewrap(keyring: Keyring, sealed: SealedToken, binding: TokenBinding): Promise<SealedToken> {
  if (sealed.kid === keyring.current.kid) return sealed;
  return sealToken(keyring, await openToken(keyring, sealed, binding), binding);
}

/** Checks that an untrusted value (from KV, a file) has the SealedToken shape; `where` names it in the error. */
export function parseSealedToken(value: unknown, where: string): SealedToken {
  if (
    typeof value !== "object" ||
    value === null ||
    !("v" in value) ||
    value.v !== 1 ||
    !("kid" in value) ||
    typeof value.kid !== "string" ||
    !KID_PATTERN.test(value.kid) ||
    !("iv" in value) ||
    typeof value.iv !== "string" ||
    !("ct" in value) ||
    typeof value.ct !== "string"
  ) {
    throw new VaultError("VAULT_RECORD_INVALID", `${where}: not a sealed token {v: 1, kid, iv, ct}`);
  }
  return { v: 1, kid: value.kid, iv: value.iv, ct: value.ct };
}

/**
 * NUL cannot occur in either part (checked), so no two bindings share an encoding. The prefix versions
 * the format so a future v2 layout can never be opened as v1.
 */
function additionalData(binding: TokenBinding): Uint8Array {
  for (const [field, value] of [
    ["credential id", binding.id],
    ["name", binding.name],
  ] as const) {
    if (value === "" || value.includes("\0")) {
      throw new VaultError("VAULT_INPUT_INVALID", `a token's ${field} must be non-empty and free of NUL characters`);
    }
  }
  return new TextEncoder().encode(`${AAD_PREFIX}\0${binding.id}\0${binding.name}`);
}
