// Serves a stand-in's fetch handler over HTTP on loopback (@hono/node-server): its URL, a close that drops open connections, and a clear error when the port is taken.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface Listening {
  /** e.g. `http://127.0.0.1:8788` (IPv6 hosts bracketed). */
  url: string;
  close(): Promise<void>;
}

type Handler = Parameters<typeof serve>[0]["fetch"];

/** Listens on `host:port` (0 picks a free port); `portInUse` is the error to reject with when the port is taken. */
export function listen(fetch: Handler, host: string, port: number, portInUse: () => Error): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info: AddressInfo) => {
      server.off("error", onError);
      // Node closes a keep-alive connection after 5 s idle; workerd's pool may send on it in that instant and
      // log "disconnected: ::write(...): Connection reset by peer" (seen under load, in npm start's quiet output).
      // A stand-in keeps its connections until it closes; close() drops them.
      if ("keepAliveTimeout" in server) server.keepAliveTimeout = 0;
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
      reject(err.code === "EADDRINUSE" ? portInUse() : err);
    };
    server.once("error", onError);
  });
}
