// Where the CLI keeps its encrypted tokens by default: one store per ngrok API URL and OWNER_ID, so two accounts (or two identities on one) never share one.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { isErrno, writeFileAtomic } from "../vault/file-store.js";
import { DEFAULT_EMULATOR_PORT, ownerId, type Vars } from "./config.js";
import { z } from "zod";
import { CliError } from "./errors.js";
import { readJsonFile } from "./persisted-file.js";

/** The token store's binding file: the account its tokens belong to. */
const bindingSchema = z.object({ api_url: z.string(), owner_id: z.string() });

/** The folder every default store lives under (git-ignored). */
export const TOKENS_ROOT = ".ngrok-gitops";
/** The single store of earlier versions, keyed by nothing. */
export const LEGACY_TOKENS_PATH = `${TOKENS_ROOT}/tokens.json`;

/** A path segment that reads as the value it came from; a hash suffix when the value had to be changed to fit. */
function segment(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "_").slice(0, 80);
  if (safe === value && safe !== "") return safe;
  return `${safe || "_"}-${createHash("sha256").update(value).digest("hex").slice(0, 8)}`;
}

/** `https://api.ngrok.com` → `api.ngrok.com`; `http://127.0.0.1:8788` → `127.0.0.1_8788`; a path or http on a public host is kept apart. */
export function apiKey(apiUrl: string): string {
  const url = new URL(apiUrl);
  const host = url.port === "" ? url.hostname : `${url.hostname}_${url.port}`;
  const path = url.pathname.replace(/\/+$/, "");
  // Plain http to a host other than loopback is kept apart from https to the same host.
  const insecure = url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  return segment(`${insecure ? "http_" : ""}${host}${path}`);
}

/** `.ngrok-gitops/<api>/<owner>/tokens.json`, relative to the working directory. */
export function defaultTokensPath(apiUrl: string, ownerId: string): string {
  return join(TOKENS_ROOT, apiKey(apiUrl), segment(ownerId), "tokens.json");
}

/** The ngrok API URL the CLI talks to, as config.ts's ngrokTarget resolves it (without needing the API key). */
export function apiUrlOf(vars: Vars): string {
  return vars.NGROK_API_URL ?? `http://127.0.0.1:${vars.EMULATOR_PORT ?? String(DEFAULT_EMULATOR_PORT)}`;
}

export interface TokensLocation {
  /** Absolute path of the store. */
  path: string;
  /** A note for the user when an unkeyed store of an earlier version sits where the old default was. */
  legacyNote: string | null;
}

/** `--tokens PATH` as given, else the default store for this API URL and OWNER_ID. */
export async function tokensLocation(explicit: string | undefined, cwd: string, vars: Vars): Promise<TokensLocation> {
  if (explicit !== undefined) return { path: resolve(cwd, explicit), legacyNote: null };
  let url: string;
  try {
    url = new URL(apiUrlOf(vars)).toString();
  } catch {
    // ngrokTarget reports a bad NGROK_API_URL with the right words; this path is never used then.
    url = "http://invalid.invalid";
  }
  const relative = defaultTokensPath(url, ownerId(vars));
  const path = resolve(cwd, relative);
  const exists = (p: string) => stat(p).then(() => true, () => false);
  const legacy = resolve(cwd, LEGACY_TOKENS_PATH);
  const legacyNote =
    (await exists(legacy)) && !(await exists(path))
      ? `note: ${LEGACY_TOKENS_PATH} is an earlier version's token store, kept for any account; tokens for ${apiUrlOf(vars)} as OWNER_ID ${ownerId(vars)} are kept in ${relative}. ` +
        `If the old store belongs to this account and OWNER_ID, move it there: mkdir -p ${join(relative, "..")} && mv ${LEGACY_TOKENS_PATH} ${relative} (and intents.json beside it)\n`
      : null;
  return { path, legacyNote };
}

/** `tokens.json` → `binding.json` beside it; `x.json` → `x.binding.json`. */
export function bindingPathFor(tokensPath: string): string {
  const name = basename(tokensPath);
  return join(dirname(tokensPath), name === "tokens.json" ? "binding.json" : `${name.replace(/\.json$/, "")}.binding.json`);
}

/**
 * A store holds one installation's tokens, keyed by name: a second API URL or OWNER_ID writing into it would overwrite
 * tokens of the same names. So the first apply records whose store it is, and every command checks it (an explicit
 * `--tokens PATH` included). `write` is false for commands that only read.
 */
export async function checkStoreBinding(tokensPath: string, apiUrl: string, owner: string, write: boolean): Promise<void> {
  const path = bindingPathFor(tokensPath);
  let text: string | null = null;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (!isErrno(error, "ENOENT")) throw error;
  }
  if (text === null) {
    if (write) await writeFileAtomic(path, `${JSON.stringify({ api_url: apiUrl, owner_id: owner }, null, 2)}\n`);
    return;
  }
  const bound = readJsonFile(bindingSchema, text, path, "CLI_CONFIG", `it records which account the token store beside it belongs to ({"api_url", "owner_id"}): fix or remove it`);
  if (bound.api_url !== apiUrl || bound.owner_id !== owner) {
    throw new CliError(
      "CLI_CONFIG",
      `the token store ${tokensPath} belongs to ${String(bound.api_url)} as OWNER_ID ${String(bound.owner_id)}, not ${apiUrl} as OWNER_ID ${owner}; ` +
        "use another --tokens PATH (or none: the default store is per API URL and OWNER_ID)",
    );
  }
}
