// An in-memory intent log, for tests and the bench (the Worker keeps intents in the Durable Object, the CLI in a file).
import type { Intent } from "../plan/types.js";
import type { IntentLog } from "./types.js";

export class MemoryIntentLog implements IntentLog {
  readonly #open = new Map<string, Intent>();

  async open(intent: Intent): Promise<void> {
    this.#open.set(intent.nonce, { ...intent });
  }

  async close(intent: Intent): Promise<void> {
    this.#open.delete(intent.nonce);
  }

  async list(): Promise<Intent[]> {
    return [...this.#open.values()];
  }
}
