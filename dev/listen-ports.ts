// Port settings for `npm start` and a check that a loopback port is free before anything binds it.
import { createServer } from "node:net";
import { CliError } from "../src/cli/errors.js";

export interface PortSetting {
  /** What listens there, for messages. */
  role: string;
  /** The environment variable that moves it. */
  variable: string;
  port: number;
}

export function portFrom(env: Readonly<Record<string, string | undefined>>, variable: string, fallback: number, role: string): PortSetting {
  const raw = env[variable];
  if (raw === undefined || raw === "") return { role, variable, port: fallback };
  const port = Number(raw);
  if (!/^[0-9]{1,5}$/.test(raw) || port < 1 || port > 65535) throw new CliError("CLI_CONFIG", `${variable} must be a port number 1-65535, got ${JSON.stringify(raw)}`);
  return { role, variable, port };
}

/** Resolves true when `host:port` can be bound right now (the probe is closed again at once). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a one-line CliError naming the first taken port and the variable that moves it. */
export async function assertPortsFree(settings: readonly PortSetting[], host = "127.0.0.1"): Promise<void> {
  const seen = new Map<number, PortSetting>();
  for (const s of settings) {
    const other = seen.get(s.port);
    if (other) throw new CliError("CLI_CONFIG", `${s.variable} and ${other.variable} are both ${s.port}; give them different ports`);
    seen.set(s.port, s);
  }
  for (const s of settings) {
    if (!(await isPortFree(s.port, host))) {
      throw new CliError("CLI_CONFIG", `port ${s.port} on ${host} (${s.role}) is in use; set ${s.variable} to another port`);
    }
  }
}
