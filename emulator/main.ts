// CLI: `npm run emulator -- --port N` runs the ngrok API emulator on 127.0.0.1 until Ctrl-C.
import { PortInUseError, startEmulator } from "./server";

function parsePort(argv: readonly string[]): number {
  const flag = argv.findIndex((a) => a === "--port" || a.startsWith("--port="));
  const raw = flag < 0 ? (process.env.EMULATOR_PORT ?? "8788") : argv[flag]?.includes("=") ? argv[flag]?.split("=")[1] : argv[flag + 1];
  const port = Number(raw);
  if (raw === undefined || !/^[0-9]+$/.test(raw) || port > 65535) {
    throw new Error(`ngrok emulator: invalid port ${JSON.stringify(raw)}; expected 0-65535`);
  }
  return port;
}

async function main(): Promise<void> {
  const started = await startEmulator({ port: parsePort(process.argv.slice(2)) });
  console.log(`ngrok API emulator listening on ${started.url}`);
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
