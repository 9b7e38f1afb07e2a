// The CLI's runtime configuration: the environment first, then .dev.vars, with the local emulator as the default target.
import { CliError } from "./errors.js";
import { CLI_OWNER_ID } from "./identity.js";

/** Not npm start's: the CLI and the local Worker are two installations (identity.ts). */
export const DEFAULT_OWNER_ID = CLI_OWNER_ID;
export const DEFAULT_MAX_DELETES = 10;
export const DEFAULT_EMULATOR_PORT = 8788;
/** The emulator makes one account per bearer key; `npm start` writes this one into .dev.vars for the Worker too. */
export const LOCAL_API_KEY = "local-dev-key";

export type Vars = Readonly<Record<string, string | undefined>>;

/** Environment over .dev.vars; an empty value counts as unset. */
export function mergeVars(env: Vars, devVars: Vars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of [devVars, env]) {
    for (const [key, value] of Object.entries(source)) if (value !== undefined && value !== "") out[key] = value;
  }
  return out;
}

export interface NgrokTarget {
  url: string;
  apiKey: string;
  /** True when the URL is on loopback: the emulator (`npm start` or `npm run emulator`). */
  emulator: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function ngrokTarget(vars: Vars): NgrokTarget {
  const port = vars.EMULATOR_PORT ?? String(DEFAULT_EMULATOR_PORT);
  const url = vars.NGROK_API_URL ?? `http://127.0.0.1:${port}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError("CLI_CONFIG", `NGROK_API_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CliError("CLI_CONFIG", `NGROK_API_URL must be http(s), got ${parsed.protocol}`);
  }
  const emulator = LOOPBACK.has(parsed.hostname);
  const apiKey = vars.NGROK_API_KEY ?? (emulator ? LOCAL_API_KEY : undefined);
  if (apiKey === undefined) {
    throw new CliError(
      "CLI_CONFIG",
      `NGROK_API_KEY is not set; it is needed for ${parsed.origin} (set it in the environment or in .dev.vars, or unset NGROK_API_URL to use the local emulator)`,
    );
  }
  return { url, apiKey, emulator };
}

export function ownerId(vars: Vars): string {
  return vars.OWNER_ID ?? DEFAULT_OWNER_ID;
}

export function maxDeletes(vars: Vars): number {
  const raw = vars.MAX_DELETES;
  if (raw === undefined) return DEFAULT_MAX_DELETES;
  if (!/^[0-9]{1,9}$/.test(raw.trim())) throw new CliError("CLI_CONFIG", `MAX_DELETES must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}
