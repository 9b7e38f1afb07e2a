// The keyring: TOKEN_ENCRYPTION_KEYS parsed and imported as non-extractable AES-256-GCM keys (first encrypts, all decrypt).
import { decodeBase64Lenient, encodeBase64 } from "./base64.js";
import { VaultError } from "./errors.js";

export const KID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const KEY_BYTES = 32;
const VARIABLE = "TOKEN_ENCRYPTION_KEYS";

export interface KeyringKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

export interface Keyring {
  /** The first entry: every new seal uses it. */
  readonly current: KeyringKey;
  /** Every entry in ring order, `current` first. */
  readonly keys: readonly KeyringKey[];
  /** Decryption key for a kid, or undefined when the ring does not hold it. */
  get(kid: string): CryptoKey | undefined;
}

interface ParsedEntry {
  kid: string;
  raw: Uint8Array<ArrayBuffer>;
}

/**
 * Parses and imports the keyring. Messages name the entry position (1-based) and, once it is known to
 * be well-formed, the kid; they never repeat the key text, since a malformed entry may be nothing but key.
 */
export async function importKeyring(text: string | undefined): Promise<Keyring> {
  const entries = parseKeyring(text);
  const keys: KeyringKey[] = [];
  for (const [index, entry] of entries.entries()) {
    // Only the current key ever encrypts; retired keys can do nothing but open old seals.
    const usages: ("encrypt" | "decrypt")[] = index === 0 ? ["encrypt", "decrypt"] : ["decrypt"];
    const key = await crypto.subtle.importKey("raw", entry.raw, { name: "AES-GCM" }, false, usages);
    entry.raw.fill(0);
    keys.push({ kid: entry.kid, key });
  }
  const [current] = keys;
  if (current === undefined) throw new Error("unreachable: parseKeyring returns at least one entry");
  const byKid = new Map(keys.map((k) => [k.kid, k.key]));
  return Object.freeze({ current, keys: Object.freeze(keys), get: (kid: string) => byKid.get(kid) });
}

let memo: { text: string | undefined; keyring: Promise<Keyring> } | undefined;

/**
 * `importKeyring` once per distinct text: a Worker isolate sees the same secret on every request, and
 * importing four keys per request is wasted work. A failed import is not remembered.
 */
export function keyringFor(text: string | undefined): Promise<Keyring> {
  if (memo !== undefined && memo.text === text) return memo.keyring;
  const keyring = importKeyring(text);
  const entry = { text, keyring };
  memo = entry;
  keyring.catch(() => {
    if (memo === entry) memo = undefined;
  });
  return keyring;
}

/** A fresh `kid:base64key` entry (32 random bytes), for `npm start` to write into .dev.vars. */
export function generateKeyringEntry(kid: string): string {
  if (!KID_PATTERN.test(kid)) {
    throw new VaultError("VAULT_INPUT_INVALID", `key id must be 1-32 characters of A-Z a-z 0-9 _ . -`);
  }
  const raw = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  return `${kid}:${encodeBase64(raw)}`;
}

function parseKeyring(text: string | undefined): ParsedEntry[] {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") {
    throw new VaultError("VAULT_KEYRING_MISSING", `${VARIABLE} is empty: expected kid:base64key[,kid:base64key...]`);
  }
  const seen = new Map<string, number>();
  return trimmed.split(",").map((part, index) => {
    const position = index + 1;
    const entry = part.trim();
    if (entry === "") invalid(`${VARIABLE} entry ${position} is empty (stray comma?)`);
    const colon = entry.indexOf(":");
    if (colon < 0) invalid(`${VARIABLE} entry ${position} has no "kid:" prefix; expected kid:base64key`);
    const kid = entry.slice(0, colon).trim();
    if (!KID_PATTERN.test(kid)) {
      invalid(`${VARIABLE} entry ${position}: key id must be 1-32 characters of A-Z a-z 0-9 _ . -`);
    }
    const earlier = seen.get(kid);
    if (earlier !== undefined) {
      invalid(`${VARIABLE} entry ${position}: key id "${kid}" is already used by entry ${earlier}`);
    }
    seen.set(kid, position);
    const raw = decodeBase64Lenient(entry.slice(colon + 1).trim());
    if (raw === null) invalid(`${VARIABLE} entry ${position} (kid "${kid}"): key is not valid base64`);
    if (raw.length !== KEY_BYTES) {
      invalid(
        `${VARIABLE} entry ${position} (kid "${kid}"): key is ${raw.length} bytes after base64 decoding; ` +
          `AES-256 needs exactly ${KEY_BYTES}`,
      );
    }
    return { kid, raw };
  });
}

function invalid(message: string): never {
  throw new VaultError("VAULT_KEYRING_INVALID", message);
}
