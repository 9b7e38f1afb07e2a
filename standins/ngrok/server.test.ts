// The emulator over real loopback HTTP: ephemeral ports, port-in-use errors, socket resets, close.
import { afterEach, describe, expect, it } from "vitest";
import type { StartedEmulator } from "./server.js";
import { startEmulator } from "./server.js";

const started: StartedEmulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const headers = { Authorization: "Bearer srv", "Ngrok-Version": "2", "Content-Type": "application/json" };

describe("startEmulator", () => {
  it("port 0 picks a free port on 127.0.0.1 and serves the API there", async () => {
    const server = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
    started.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    const res = await fetch(`${server.url}/credentials`, { method: "POST", headers, body: "{}" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { uri: string; id: string };
    expect(body.uri).toBe(`${server.url}/credentials/${body.id}`);
  });

  it("a port in use rejects with a message saying so", async () => {
    const server = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
    started.push(server);
    const port = Number(new URL(server.url).port);
    await expect(startEmulator({ port })).rejects.toThrow(new RegExp(`port ${port} .*in use`));
  });

  it("a reset fault closes the socket without an answer", async () => {
    const server = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
    started.push(server);
    await fetch(`${server.url}/__emulator/faults`, { method: "POST", headers, body: JSON.stringify({ faults: [{ reset: true }] }) });
    await expect(fetch(`${server.url}/credentials`, { headers })).rejects.toThrow(TypeError);
    const calls = (await (await fetch(`${server.url}/__emulator/calls`, { headers })).json()) as { calls: { fault: string }[] };
    expect(calls.calls.map((c) => c.fault)).toEqual(["reset"]);
  });

  it("close stops serving, even with a request hanging on a timeout fault", async () => {
    const server = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
    await fetch(`${server.url}/__emulator/faults`, { method: "POST", headers, body: JSON.stringify({ faults: [{ timeout: true }] }) });
    const hanging = fetch(`${server.url}/credentials`, { headers }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    expect(await hanging).toBeInstanceOf(Error);
    await expect(fetch(`${server.url}/credentials`, { headers })).rejects.toThrow();
  });
});
