// The stand-ins' HTTP listener: a keep-alive connection left idle is still there for the next request.
import { request, Agent } from "node:http";
import { expect, it } from "vitest";
import { listen } from "./listen.js";

it("keeps an idle keep-alive connection past Node's default 5 s, so a pooled client never writes into a reset", { timeout: 60_000 }, async () => {
  const served = await listen(() => new Response("ok"), "127.0.0.1", 0, () => new Error("port in use"));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ reused: boolean; body: string }>((resolve, reject) => {
      const req = request(`${served.url}/`, { agent }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ reused: req.reusedSocket, body }));
      });
      req.on("error", reject);
      req.end();
    });
  try {
    expect(await get()).toEqual({ reused: false, body: "ok" });
    // Past Node's default keepAliveTimeout (5 s, checked every second), after which the server closes the socket.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(await get()).toEqual({ reused: true, body: "ok" });
  } finally {
    agent.destroy();
    await served.close();
  }
});
