// Command line of `npm run emulator`: port, rate limit, concurrency cap and the accepted API keys.
import { parseArgs } from "node:util";
import { parseRateLimit, type RateLimit } from "../../src/ngrok/rate-limit.js";
import { DEFAULT_MAX_CONCURRENT } from "./app.js";

export const USAGE = `Usage: npm run emulator -- [options]

  --port N                 port on 127.0.0.1 (default EMULATOR_PORT or 8788; 0 picks a free one)
  --rate-limit N/Ss|off    requests per rolling window per account, as ngrok enforces it (default 120/60s)
  --max-concurrent N|off   simultaneous requests per account (default ${DEFAULT_MAX_CONCURRENT})
  --api-key KEY            accept only this API key (repeatable); other keys get 401. Without it every key is its own account.
`;

export interface EmulatorCliOptions {
  port: number;
  rateLimit: RateLimit | "off";
  maxConcurrent: number | "off";
  apiKeys: string[] | undefined;
}

/** Reads the command line; throws an Error whose message is meant for a person. */
export function parseEmulatorArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): EmulatorCliOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string" },
      "rate-limit": { type: "string" },
      "max-concurrent": { type: "string" },
      "api-key": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const rawPort = values.port ?? env.EMULATOR_PORT ?? "8788";
  const port = Number(rawPort);
  if (!/^[0-9]+$/.test(rawPort) || port > 65535) throw new Error(`ngrok emulator: invalid port ${JSON.stringify(rawPort)}; expected 0-65535`);
  let rateLimit: RateLimit | "off";
  try {
    rateLimit = parseRateLimit(values["rate-limit"] ?? "120/60s");
  } catch (error) {
    throw new Error(`ngrok emulator: --rate-limit: ${error instanceof Error ? error.message : String(error)}`);
  }
  const rawConcurrent = values["max-concurrent"] ?? String(DEFAULT_MAX_CONCURRENT);
  let maxConcurrent: number | "off" = "off";
  if (rawConcurrent.trim().toLowerCase() !== "off") {
    maxConcurrent = Number(rawConcurrent);
    if (!/^[0-9]+$/.test(rawConcurrent.trim()) || maxConcurrent < 1) throw new Error(`ngrok emulator: invalid --max-concurrent ${JSON.stringify(rawConcurrent)}; expected a positive integer or "off"`);
  }
  const keys = values["api-key"];
  if (keys?.some((k) => k.trim() === "" || /\s/.test(k))) throw new Error("ngrok emulator: --api-key must be a non-empty key without spaces");
  return { port, rateLimit, maxConcurrent, apiKeys: keys === undefined || keys.length === 0 ? undefined : keys };
}
