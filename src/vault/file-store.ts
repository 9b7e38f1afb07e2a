// The CLI's TokenStore (Node only): one JSON file keyed by name, replaced atomically, readable by its owner alone.
import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { VaultError } from "./errors.js";
import { parseStoredToken, type StoredToken, type TokenStore } from "./store.js";

export const DEFAULT_TOKENS_PATH = ".ngrok-gitops/tokens.json";
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Each change rewrites the whole file through a temporary sibling and a rename, so a crash leaves either
 * the old or the new file, never half of one. Changes within one process are serialized; two processes
 * writing the same file at once are not guarded against (the CLI runs one command at a time).
 */
export class FileTokenStore implements TokenStore {
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string = DEFAULT_TOKENS_PATH) {
    this.path = path;
  }

  async get(name: string): Promise<StoredToken | null> {
    const entries = await this.#read();
    return entries.get(name) ?? null;
  }

  put(entry: StoredToken): Promise<void> {
    return this.#change((entries) => entries.set(entry.name, entry));
  }

  delete(name: string): Promise<void> {
    return this.#change((entries) => entries.delete(name));
  }

  async list(): Promise<StoredToken[]> {
    return [...(await this.#read()).values()];
  }

  #change(mutate: (entries: Map<string, StoredToken>) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      // A file that fails to parse is never overwritten: it may hold the only copy of other tokens.
      const entries = await this.#read();
      mutate(entries);
      await this.#write(entries);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<Map<string, StoredToken>> {
    await assertPrivateFolder(dirname(this.path));
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return new Map();
      throw new VaultError("VAULT_STORE_FAILED", `cannot read token store ${this.path}`, { cause: error });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // Not chained as the cause: V8's JSON error quotes part of the input.
      throw new VaultError("VAULT_RECORD_INVALID", `token store ${this.path} is not valid JSON`);
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new VaultError("VAULT_RECORD_INVALID", `token store ${this.path} is not a JSON object keyed by name`);
    }
    const entries = new Map<string, StoredToken>();
    for (const [name, value] of Object.entries(data)) {
      const entry = parseStoredToken(value, `token store ${this.path}, entry "${name}"`);
      if (entry.name !== name) {
        throw new VaultError("VAULT_RECORD_INVALID", `token store ${this.path}, entry "${name}": holds another name`);
      }
      entries.set(name, entry);
    }
    return entries;
  }

  async #write(entries: Map<string, StoredToken>): Promise<void> {
    const sorted = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    try {
      await writeFileAtomic(this.path, `${JSON.stringify(sorted, null, 2)}\n`);
    } catch (error) {
      if (error instanceof VaultError) throw error;
      throw new VaultError("VAULT_STORE_FAILED", `cannot write token store ${this.path}`, { cause: error });
    }
  }
}

/**
 * Replaces `path` with `text` through a temporary sibling and a rename, so a crash leaves the old or the new
 * file, never half of one; the file is readable by its owner alone (0600, folder 0700). The CLI's intent log
 * uses it too.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  // Refused before anything is written: a folder others may write to lets them replace or remove the file.
  await assertPrivateFolder(dirname(path));
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, "wx", FILE_MODE);
    try {
      await handle.writeFile(text, "utf8");
      // The umask can only narrow the mode, but an inherited ACL or odd umask must not widen it.
      await handle.chmod(FILE_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // The write's own error is the one to report; a leftover temp file holds only sealed data.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Refuses a folder that its group or everyone may write to, or that another user owns: whoever can write to the
 * folder can rename, replace or remove the files in it, 0600 or not (the token store, its intents, its binding).
 * An absent folder passes (it is created 0700). Windows has no such mode bits.
 */
export async function assertPrivateFolder(folder: string): Promise<void> {
  if (process.platform === "win32") return;
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = await stat(folder));
  } catch (error) {
    if (isErrno(error, "ENOENT")) return;
    throw new VaultError("VAULT_STORE_FAILED", `cannot inspect the token store's folder ${folder}`, { cause: error });
  }
  if ((mode & 0o022) !== 0) {
    const who = [mode & 0o020 ? "its group" : "", mode & 0o002 ? "everyone" : ""].filter(Boolean).join(" and ");
    throw new VaultError(
      "VAULT_STORE_UNSAFE",
      `the token store's folder ${folder} is writable by ${who} (mode ${(mode & 0o777).toString(8).padStart(3, "0")}), so others could replace or remove the tokens in it; refusing to use it. Make it private: chmod 700 ${folder}`,
    );
  }
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    throw new VaultError("VAULT_STORE_UNSAFE", `the token store's folder ${folder} belongs to another user (uid ${uid}), who could replace or remove the tokens in it; refusing to use it. Use a folder of your own (--tokens PATH)`);
  }
}

/** Whether `error` is Node's system error with this errno code (ENOENT, EEXIST, …): the one check of a foreign error's code. */
export function isErrno(error: unknown, code: string): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error && error.code === code;
}
