// An in-memory TokenStore for tests: entries are copied in and out so callers cannot alias stored state.
import type { StoredToken, TokenStore } from "./store.js";

export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, StoredToken>();

  async get(name: string): Promise<StoredToken | null> {
    const entry = this.#entries.get(name);
    return entry === undefined ? null : structuredClone(entry);
  }

  async put(entry: StoredToken): Promise<void> {
    this.#entries.set(entry.name, structuredClone(entry));
  }

  async delete(name: string): Promise<void> {
    this.#entries.delete(name);
  }

  async list(): Promise<StoredToken[]> {
    return [...this.#entries.values()].map((entry) => structuredClone(entry));
  }
}
