// The CLI's write-ahead intent log (Node only): one JSON file, replaced atomically, readable by its owner alone.
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { IntentLog } from "../apply/types.js";
import type { Intent } from "../plan/types.js";
import { isErrno, writeFileAtomic } from "../vault/file-store.js";
import { z } from "zod";
import { CliError } from "./errors.js";
import { readJsonFile } from "./persisted-file.js";

const intentLogSchema = z.object({ intents: z.array(z.object({ name: z.string().min(1), nonce: z.string().min(1) })) });

/** `.ngrok-gitops/tokens.json` → `.ngrok-gitops/intents.json`; any other name `x.json` → `x.intents.json` beside it. */
export function intentsPathFor(tokensPath: string): string {
  const name = basename(tokensPath);
  if (name === "tokens.json") return join(dirname(tokensPath), "intents.json");
  return join(dirname(tokensPath), `${name.replace(/\.json$/, "")}.intents.json`);
}

/**
 * `{"intents":[{"name","nonce"}]}`. An open intent must survive a crash (it is how the next run finds a
 * credential whose token nobody received), so every change is written through a temporary sibling, synced
 * and renamed before the call that depends on it goes out. A file that does not parse is never overwritten.
 */
export class FileIntentLog implements IntentLog {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  open(intent: Intent): Promise<void> {
    return this.#change((intents) => intents.set(intent.nonce, { name: intent.name, nonce: intent.nonce }));
  }

  close(intent: Intent): Promise<void> {
    return this.#change((intents) => intents.delete(intent.nonce));
  }

  async list(): Promise<Intent[]> {
    await this.#queue;
    return [...(await this.#read()).values()];
  }

  #change(mutate: (intents: Map<string, Intent>) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const intents = await this.#read();
      mutate(intents);
      await this.#write(intents);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<Map<string, Intent>> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return new Map();
      throw new CliError("CLI_INTENTS_INVALID", `cannot read intent log ${this.path}`, { cause: error });
    }
    const { intents } = readJsonFile(intentLogSchema, text, `intent log ${this.path}`, "CLI_INTENTS_INVALID", `it is {"intents": [{"name", "nonce"}]}: fix or remove it by hand`);
    return new Map(intents.map(({ name, nonce }) => [nonce, { name, nonce }]));
  }

  async #write(intents: Map<string, Intent>): Promise<void> {
    const list = [...intents.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.nonce < b.nonce ? -1 : 1));
    try {
      await writeFileAtomic(this.path, `${JSON.stringify({ intents: list }, null, 2)}\n`);
    } catch (error) {
      throw new CliError("CLI_INTENTS_WRITE", `cannot write intent log ${this.path}`, { cause: error });
    }
  }
}
