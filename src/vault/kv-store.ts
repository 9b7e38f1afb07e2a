// The Worker's TokenStore on the TOKENS KV namespace: key `token:<name>`, value the StoredToken as JSON.
import { VaultError } from "./errors.js";
import { parseStoredToken, type StoredToken, type TokenStore } from "./store.js";

export const KV_KEY_PREFIX = "token:";
/** KV's own ceiling for list metadata; larger entries are stored without it and fetched one by one. */
const KV_METADATA_MAX_BYTES = 1024;
const KV_LIST_MAX = 1000;

export interface KvTokenStoreOptions {
  /** Keys per list page, 1-1000 (KV's maximum and default). Smaller pages exist for tests. */
  pageSize?: number;
}

/**
 * Each entry is also written as the key's list metadata, so `list()` costs one KV operation per 1000
 * tokens instead of one per token: a Worker invocation may make only 1000 KV operations in all.
 */
export class KvTokenStore implements TokenStore {
  readonly #kv: KVNamespace;
  readonly #pageSize: number;

  constructor(kv: KVNamespace, options: KvTokenStoreOptions = {}) {
    const pageSize = options.pageSize ?? KV_LIST_MAX;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > KV_LIST_MAX) {
      throw new VaultError("VAULT_INPUT_INVALID", `KV list page size must be an integer from 1 to ${KV_LIST_MAX}`);
    }
    this.#kv = kv;
    this.#pageSize = pageSize;
  }

  async get(name: string): Promise<StoredToken | null> {
    const key = KV_KEY_PREFIX + name;
    const text = await this.#kv.get(key, "text");
    if (text === null) return null;
    const entry = parseStoredToken(parseJson(text, key), `KV ${key}`);
    if (entry.name !== name) {
      throw new VaultError("VAULT_RECORD_INVALID", `KV ${key}: holds the entry of another name`);
    }
    return entry;
  }

  async put(entry: StoredToken): Promise<void> {
    const value = JSON.stringify(entry);
    const fitsMetadata = new TextEncoder().encode(value).length <= KV_METADATA_MAX_BYTES;
    await this.#kv.put(KV_KEY_PREFIX + entry.name, value, fitsMetadata ? { metadata: entry } : {});
  }

  async delete(name: string): Promise<void> {
    await this.#kv.delete(KV_KEY_PREFIX + name);
  }

  async list(): Promise<StoredToken[]> {
    const entries: StoredToken[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.#kv.list<unknown>({ prefix: KV_KEY_PREFIX, limit: this.#pageSize, cursor: cursor ?? null });
      for (const key of page.keys) {
        const name = key.name.slice(KV_KEY_PREFIX.length);
        if (key.metadata !== undefined && key.metadata !== null) {
          const entry = parseStoredToken(key.metadata, `KV ${key.name} (metadata)`);
          if (entry.name !== name) {
            throw new VaultError("VAULT_RECORD_INVALID", `KV ${key.name}: holds the entry of another name`);
          }
          entries.push(entry);
          continue;
        }
        // Written without metadata (too large) or deleted since the page was read.
        const entry = await this.get(name);
        if (entry !== null) entries.push(entry);
      }
      if (page.list_complete) return entries;
      cursor = page.cursor;
    }
  }
}

function parseJson(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not chained as the cause: V8's JSON error quotes part of the input.
    throw new VaultError("VAULT_RECORD_INVALID", `KV ${key}: value is not JSON`);
  }
}
