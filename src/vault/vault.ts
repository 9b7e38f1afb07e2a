// The token vault: what the reconciler calls to keep, reveal, forget and re-key minted authtokens.
import { VaultError, isVaultError, type VaultErrorCode } from "./errors.js";
import type { Keyring } from "./keyring.js";
import { openToken, rewrap, sealToken } from "./seal.js";
import type { StoredToken, TokenStore } from "./store.js";

export interface RevealedToken {
  name: string;
  id: string;
  token: string;
}

export interface RotateResult {
  /** Entries re-sealed under the current key. */
  rewrapped: number;
  /** Entries still under an older key because `max` was reached; call again to continue. */
  remaining: number;
  /** Entries that could not be opened (unknown kid, altered); left untouched, rotation went on without them. */
  failed: { name: string; code: VaultErrorCode }[];
}

export interface TokenVaultOptions {
  /** Clock for `stored_at`; tests pin it. */
  now?: () => Date;
}

export class TokenVault {
  readonly #tokens: TokenStore;
  readonly #keyring: Keyring;
  readonly #now: () => Date;

  constructor(store: TokenStore, keyring: Keyring, options: TokenVaultOptions = {}) {
    this.#tokens = store;
    this.#keyring = keyring;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Seals and writes the token of credential `id`. Resolves only once the store accepted the write;
   * any failure rejects, because the caller then deletes the credential rather than orphan its token.
   */
  async store(name: string, id: string, token: string): Promise<void> {
    const sealed = await sealToken(this.#keyring, token, { id, name });
    const entry: StoredToken = { name, id, sealed, stored_at: this.#now().toISOString() };
    await storeCall(`store the token of "${name}"`, () => this.#tokens.put(entry));
  }

  /** The token of `name`, or null when none is stored. Throws when one is stored but cannot be opened. */
  async read(name: string): Promise<RevealedToken | null> {
    const entry = await storeCall(`read the token of "${name}"`, () => this.#tokens.get(name));
    if (entry === null) return null;
    // The binding uses the name asked for, so an entry copied under another name does not open.
    const token = await openToken(this.#keyring, entry.sealed, { id: entry.id, name });
    return { name, id: entry.id, token };
  }

  /** name → credential id of every stored token, without opening any: what the diff needs. */
  async ids(): Promise<Map<string, string>> {
    const entries = await storeCall("list tokens", () => this.#tokens.list());
    return new Map(entries.map((entry) => [entry.name, entry.id]));
  }

  async remove(name: string): Promise<void> {
    await storeCall(`remove the token of "${name}"`, () => this.#tokens.delete(name));
  }

  /**
   * Re-seals every entry not under the current key. Run it inside the reconciler's lock: KV has no
   * compare-and-swap, so an entry is re-read just before its write and skipped if it changed since the
   * listing, but only the lock rules out a token stored in between. `max` bounds the writes per call
   * (a Worker invocation may make only 1000 KV operations).
   */
  async rotateKeys(options: { max?: number } = {}): Promise<RotateResult> {
    const max = options.max ?? Number.POSITIVE_INFINITY;
    const current = this.#keyring.current.kid;
    const stale = (await storeCall("list tokens", () => this.#tokens.list())).filter((e) => e.sealed.kid !== current);
    const result: RotateResult = { rewrapped: 0, remaining: 0, failed: [] };
    for (const entry of stale) {
      if (result.rewrapped >= max) {
        result.remaining++;
        continue;
      }
      let sealed;
      try {
        sealed = await rewrap(this.#keyring, entry.sealed, { id: entry.id, name: entry.name });
      } catch (error) {
        if (!isVaultError(error, "VAULT_UNKNOWN_KEY") && !isVaultError(error, "VAULT_DECRYPT_FAILED")) throw error;
        result.failed.push({ name: entry.name, code: error.code });
        continue;
      }
      const latest = await storeCall(`read the token of "${entry.name}"`, () => this.#tokens.get(entry.name));
      if (latest === null || latest.id !== entry.id || latest.sealed.ct !== entry.sealed.ct) continue;
      await storeCall(`store the token of "${entry.name}"`, () => this.#tokens.put({ ...entry, sealed }));
      result.rewrapped++;
    }
    return result;
  }
}

/** Store failures surface as VAULT_STORE_FAILED with the original as `cause`; vault errors pass unchanged. */
async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof VaultError) throw error;
    throw new VaultError("VAULT_STORE_FAILED", `cannot ${what}`, { cause: error });
  }
}
