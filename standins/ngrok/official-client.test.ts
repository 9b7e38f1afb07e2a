// The emulator as ngrok's official TypeScript client (@ngrok/ngrok-api) sees it over HTTP: create, update (id in the body), get, list, and 401 for an unknown key.
import { Ngrok } from "@ngrok/ngrok-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StartedEmulator } from "./server";
import { startEmulator } from "./server";

const KEY = "official-client-key";
let emulator: StartedEmulator;

beforeAll(async () => {
  // The documented limit, explicitly: this file makes a handful of calls.
  emulator = await startEmulator({ port: 0, apiKeys: [KEY], rateLimit: { limit: 120, windowMs: 60_000 } });
});
afterAll(async () => {
  await emulator.close();
});

describe("@ngrok/ngrok-api against the emulator", () => {
  it("creates, updates with { id, description } as the client sends it, reads and lists", async () => {
    const ngrok = new Ngrok({ apiToken: KEY, baseUrl: emulator.url });
    const created = await ngrok.credentials.create({ description: "from the official client", metadata: "m", acl: ["bind:x.example.com"] });
    expect(created.id).toMatch(/^cr_/);
    expect(typeof created.token).toBe("string");
    const updated = await ngrok.credentials.update({ id: created.id, description: "renamed" });
    expect(updated).toMatchObject({ id: created.id, description: "renamed", metadata: "m", acl: ["bind:x.example.com"] });
    const read = await ngrok.credentials.get(created.id);
    expect(read.description).toBe("renamed");
    const listed = await ngrok.credentials.list();
    expect(listed.map((c) => c.id)).toEqual([created.id]);
  });

  it("an update that sets nothing is refused with ERR_NGROK_606", async () => {
    const ngrok = new Ngrok({ apiToken: KEY, baseUrl: emulator.url });
    const created = await ngrok.credentials.create({ description: "d", acl: [] });
    await expect(ngrok.credentials.update({ id: created.id })).rejects.toMatchObject({ errorCode: "ERR_NGROK_606", statusCode: 400 });
  });

  it("an unknown API key gets 401 ERR_NGROK_203, not an empty account", async () => {
    const typo = new Ngrok({ apiToken: "typo", baseUrl: emulator.url });
    await expect(typo.credentials.list()).rejects.toMatchObject({ errorCode: "ERR_NGROK_203", statusCode: 401 });
  });
});
