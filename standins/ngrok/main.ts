// CLI: `npm run emulator -- [--port N] [--rate-limit N/Ss|off] [--max-concurrent N|off] [--api-key KEY]...` runs the ngrok API emulator on 127.0.0.1 until Ctrl-C.
import { formatRateLimit } from "../../src/ngrok/rate-limit.js";
import { USAGE, parseEmulatorArgs } from "./args.js";
import { PortInUseError, startEmulator } from "./server.js";

async function main(): Promise<void> {
  const parsed = parseEmulatorArgs(process.argv.slice(2), process.env);
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const started = await startEmulator({ port: parsed.port, rateLimit: parsed.rateLimit, maxConcurrent: parsed.maxConcurrent, ...(parsed.apiKeys ? { apiKeys: parsed.apiKeys } : {}) });
  const keys = parsed.apiKeys === undefined ? "any API key (each is its own account; --api-key KEY to accept only yours)" : `${parsed.apiKeys.length} API key${parsed.apiKeys.length === 1 ? "" : "s"}`;
  console.log(`ngrok API emulator listening on ${started.url} · rate limit ${formatRateLimit(parsed.rateLimit)} · max concurrent ${parsed.maxConcurrent} · ${keys}`);
  const stop = () => {
    started.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof PortInUseError || err instanceof Error ? err.message : String(err));
  process.exit(1);
});
