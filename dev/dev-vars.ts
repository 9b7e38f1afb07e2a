// The local secrets `npm start` shares with `wrangler dev`: written once into .dev.vars, never overwritten.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyringEntry } from "../src/vault/keyring.js";
import { LOCAL_API_KEY } from "../src/cli/config.js";
import { DEV_VARS, readDevVars } from "../src/cli/dotenv.js";
import { CliError } from "../src/cli/errors.js";

export const REQUIRED_DEV_VARS = ["NGROK_API_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_TOKEN", "TOKEN_ENCRYPTION_KEYS", "ADMIN_TOKEN"] as const;
export type DevVars = Record<(typeof REQUIRED_DEV_VARS)[number], string>;

const random = () => randomBytes(24).toString("hex");

export function freshDevVars(): string {
  return [
    "# Written by `npm start` for local development only (git-ignored). Delete it to get fresh values.",
    `NGROK_API_KEY=${LOCAL_API_KEY}`,
    `GITHUB_WEBHOOK_SECRET=${random()}`,
    `GITHUB_TOKEN=${random()}`,
    `TOKEN_ENCRYPTION_KEYS=${generateKeyringEntry("local1")}`,
    `ADMIN_TOKEN=${random()}`,
    "",
  ].join("\n");
}

/** Creates .dev.vars (0600) unless it exists, then reads it; `created` says which happened. */
export async function ensureDevVars(dir: string): Promise<{ vars: DevVars; created: boolean }> {
  let created = false;
  try {
    // "wx" fails when the file exists, so a file written in between is never clobbered.
    const handle = await open(join(dir, DEV_VARS), "wx", 0o600);
    try {
      await handle.writeFile(freshDevVars(), "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    created = true;
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
  }
  const parsed = await readDevVars(dir);
  const missing = REQUIRED_DEV_VARS.filter((key) => !parsed[key]);
  if (missing.length > 0) {
    throw new CliError("CLI_CONFIG", `${DEV_VARS} lacks ${missing.join(", ")}; add them, or move the file away and \`npm start\` writes a fresh one`);
  }
  return { vars: parsed as DevVars, created };
}
