// Serves the emulator over HTTP on loopback with @hono/node-server; injected resets drop the socket.
import type { AddressInfo } from "node:net";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { EmulatorOptions } from "./app";
import { createEmulator } from "./app";
import { ConnectionResetError } from "./errors";

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
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: handle, port: opts.port, hostname: host }, (info: AddressInfo) => {
      server.off("error", onError);
      const baseHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${baseHost}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            if ("closeAllConnections" in server && typeof server.closeAllConnections === "function") server.closeAllConnections();
            server.close((err) => (err ? fail(err) : done()));
          }),
      });
    });
    const onError = (err: NodeJS.ErrnoException) => {
      server.close();
      reject(err.code === "EADDRINUSE" ? new PortInUseError(host, opts.port) : err);
    };
    server.once("error", onError);
  });
}
