// The production secrets setup writes and deploy uploads: one JSON object (what `wrangler secret bulk` and `wrangler deploy --secrets-file` read), mode 0600, never printed.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyringEntry } from "../vault/keyring.js";
import { isErrno } from "../vault/file-store.js";

export const SECRETS_FILE = ".ngrok-gitops/secrets.json";

/** Every secret the Worker reads (design: Runtime configuration); GitHub access is the App pair or GITHUB_TOKEN. */
export const SECRET_NAMES = ["NGROK_API_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_TOKEN", "TOKEN_ENCRYPTION_KEYS", "ADMIN_TOKEN"] as const;

export type Secrets = Partial<Record<string, string>>;

export class SecretsFileError extends Error {
  readonly code = "SECRETS_FILE_INVALID";
}

/** The file's secrets; {} when it does not exist yet. */
export async function readSecrets(path: string): Promise<Secrets> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretsFileError(`${path}: not JSON (it holds the secrets as {"NAME": "value", ...})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new SecretsFileError(`${path}: must be a JSON object of NAME: value`);
  const out: Secrets = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new SecretsFileError(`${path}: ${name} must be a string`);
    out[name] = value;
  }
  return out;
}

/** Writes all of `secrets` (0600, replaced atomically so a crash never leaves half a file). */
export async function writeSecrets(path: string, secrets: Secrets): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const sorted = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== undefined && v !== "").sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(tmp, `${JSON.stringify(sorted, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** Secrets setup generates itself, each only when missing. */
export const GENERATED: Readonly<Record<string, () => string>> = {
  ADMIN_TOKEN: () => randomBytes(32).toString("base64url"),
  TOKEN_ENCRYPTION_KEYS: () => generateKeyringEntry(`k${new Date().toISOString().slice(0, 10).replace(/-/g, "")}`),
  GITHUB_WEBHOOK_SECRET: () => randomBytes(32).toString("hex"),
};
