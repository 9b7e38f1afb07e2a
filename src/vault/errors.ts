// The vault's typed error: a stable `code` for callers and a message that never carries key, token or ciphertext bytes.

export type VaultErrorCode =
  /** TOKEN_ENCRYPTION_KEYS is unset or blank. */
  | "VAULT_KEYRING_MISSING"
  /** TOKEN_ENCRYPTION_KEYS is set but malformed (entry, kid, base64 or key length). */
  | "VAULT_KEYRING_INVALID"
  /** A sealed token names a kid the keyring does not hold (key retired too early). */
  | "VAULT_UNKNOWN_KEY"
  /** Authentication failed: ciphertext, IV or tag altered, or the sealed token belongs to another credential. */
  | "VAULT_DECRYPT_FAILED"
  /** A stored record or sealed token does not have the vault's shape. */
  | "VAULT_RECORD_INVALID"
  /** A name, credential id or token the vault was handed cannot be sealed. */
  | "VAULT_INPUT_INVALID"
  /** The backing store failed a read, write or delete. */
  | "VAULT_STORE_FAILED"
  /** The file store's folder is writable by its group or everyone: refused. */
  | "VAULT_STORE_UNSAFE";

export class VaultError extends Error {
  override readonly name = "VaultError";
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isVaultError(error: unknown, code?: VaultErrorCode): error is VaultError {
  return error instanceof VaultError && (code === undefined || error.code === code);
}
