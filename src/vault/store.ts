// The storage contract for sealed tokens, shared by the KV (Worker), memory (tests) and file (CLI) stores.
import { VaultError } from "./errors.js";
import { parseSealedToken, type SealedToken } from "./seal.js";

/** One credential's token at rest. `id` is in clear so a store can be matched to live credentials unopened. */
export interface StoredToken {
  /** Spec name: the store's key. */
  name: string;
  /** ngrok credential id. */
  id: string;
  sealed: SealedToken;
  /** ISO-8601 time the token was stored; a key rotation keeps it, since the token itself is unchanged. */
  stored_at: string;
}

export interface TokenStore {
  get(name: string): Promise<StoredToken | null>;
  /** Insert or replace by `entry.name`. Throws when the write did not happen. */
  put(entry: StoredToken): Promise<void>;
  /** Deleting an absent name is not an error. */
  delete(name: string): Promise<void>;
  /** Every entry, in no guaranteed order. */
  list(): Promise<StoredToken[]>;
}

/** Checks that an untrusted value has the StoredToken shape; `where` names it in the error (never the value). */
export function parseStoredToken(value: unknown, where: string): StoredToken {
  if (
    typeof value !== "object" ||
    value === null ||
    !("name" in value) ||
    typeof value.name !== "string" ||
    value.name === "" ||
    !("id" in value) ||
    typeof value.id !== "string" ||
    value.id === "" ||
    !("stored_at" in value) ||
    typeof value.stored_at !== "string" ||
    !("sealed" in value)
  ) {
    throw new VaultError("VAULT_RECORD_INVALID", `${where}: not a stored token {name, id, sealed, stored_at}`);
  }
  return { name: value.name, id: value.id, sealed: parseSealedToken(value.sealed, where), stored_at: value.stored_at };
}
