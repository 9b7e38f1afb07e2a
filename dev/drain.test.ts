// discardBody: a server still writing the body finishes its response; a cancelled body would have it reset.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { discardBody } from "./drain.js";

it("lets a server that sends the body after the headers finish writing it", { timeout: 30_000 }, async () => {
  const finished: boolean[] = [];
  const server = createServer((_req, res: ServerResponse) => {
    // Headers first, the body a moment later: as workerd can, on a loaded machine.
    res.writeHead(202, { "Content-Type": "application/json" });
    res.flushHeaders();
    res.on("close", () => finished.push(res.writableFinished));
    setTimeout(() => res.end(JSON.stringify({ queued: true, padding: "x".repeat(64 * 1024) })), 100);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { method: "POST", body: "{}" });
      expect(res.status).toBe(202);
      await discardBody(res);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(finished).toEqual([true, true, true]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
