// Serves the emulator over HTTP on loopback with @hono/node-server; injected resets drop the socket.
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { listen } from "../listen.js";
import type { EmulatorOptions } from "./app.js";
import { createEmulator } from "./app.js";
import { ConnectionResetError } from "./errors.js";

export interface StartedEmulator {
  url: string;
  close(): Promise<void>;
}

export interface StartOptions extends EmulatorOptions {
  port: number;
  host?: string;
}

/** Thrown when the port is taken; its message is meant to be shown to a person as is. */
export class PortInUseError extends Error {
  readonly code = "EMULATOR_PORT_IN_USE";
  constructor(host: string, port: number) {
    super(`ngrok emulator: port ${port} on ${host} is in use; pick another with --port or EMULATOR_PORT`);
    this.name = "PortInUseError";
  }
}

export async function startEmulator(opts: StartOptions): Promise<StartedEmulator> {
  const host = opts.host ?? "127.0.0.1";
  const emulator = createEmulator(opts);
  const handle = async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    try {
      return await emulator.app.fetch(request, env);
    } catch (err) {
      // A reset is a socket closed without a response; an abort means the client already left.
      if (err instanceof ConnectionResetError) env.incoming.socket.destroy();
      else if (!(typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError")) throw err;
      return new Response(null, { status: 499 });
    }
  };
  return listen(handle, host, opts.port, () => new PortInUseError(host, opts.port));
}
