// The CLI's runtime configuration: the environment first, then .dev.vars, with the local emulator as the default target.
import { DEFAULTS, readConfig, type Config } from "../config.js";
import { CliError } from "./errors.js";
import { CLI_OWNER_ID } from "./identity.js";

/** Not npm start's: the CLI and the local Worker are two installations (identity.ts). */
export const DEFAULT_OWNER_ID = CLI_OWNER_ID;
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

/** The run settings, parsed by the Worker's parser (one set of rules and defaults); every bad value at once. */
export function runConfig(vars: Vars): Pick<Config, "ownerId" | "maxDeletes" | "rotationGraceMs" | "defaultRotateAfterMs" | "expiryWarningMs" | "ngrokRateLimit"> {
  const read = readConfig(vars, { for: "cli", defaults: { OWNER_ID: DEFAULT_OWNER_ID } });
  if (!read.ok) throw new CliError("CLI_CONFIG", read.problems.map((p) => `${p.name} ${p.message}`).join("; "));
  const { ownerId, maxDeletes, rotationGraceMs, defaultRotateAfterMs, expiryWarningMs, ngrokRateLimit } = read.config;
  return { ownerId, maxDeletes, rotationGraceMs, defaultRotateAfterMs, expiryWarningMs, ngrokRateLimit };
}

export function ownerId(vars: Vars): string {
  return runConfig(vars).ownerId;
}
