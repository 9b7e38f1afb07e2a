// The emulator as ngrok's official TypeScript client (@ngrok/ngrok-api) sees it over HTTP: credentials, bot (service) users, API keys and SSH credentials, and 401 for an unknown key.
import { Ngrok } from "@ngrok/ngrok-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StartedEmulator } from "./server.js";
import { startEmulator } from "./server.js";
import { ed25519PublicKey } from "./ssh-fixtures.js";

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

  it("drives bot users, API keys and SSH credentials: create, update, get, list, delete; owner_id names the bot", async () => {
    const ngrok = new Ngrok({ apiToken: KEY, baseUrl: emulator.url });
    const bot = await ngrok.botUsers.create({ name: "ci bot" });
    expect(bot).toMatchObject({ name: "ci bot", active: true });
    expect(bot.id).toMatch(/^bot_/);
    // The client passes created_at through as the RFC 3339 string it received.
    expect(String(bot.createdAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await ngrok.botUsers.update({ id: bot.id, active: false })).toMatchObject({ id: bot.id, name: "ci bot", active: false });
    expect((await ngrok.botUsers.list()).map((b) => b.id)).toEqual([bot.id]);

    const key = await ngrok.apiKeys.create({ description: "ci key", metadata: "m", ownerId: bot.id });
    expect(key.id).toMatch(/^ak_/);
    expect(typeof key.token).toBe("string");
    expect(key.ownerId).toBe(bot.id);
    expect(await ngrok.apiKeys.update({ id: key.id, description: "renamed" })).toMatchObject({ description: "renamed", metadata: "m" });
    const readKey = await ngrok.apiKeys.get(key.id);
    expect(readKey.token).toBeNull();
    // The minted key is itself an API key of this account.
    const asKey = new Ngrok({ apiToken: key.token ?? "", baseUrl: emulator.url });
    expect((await asKey.apiKeys.list()).map((k) => k.id)).toEqual([key.id]);

    const { publicKey } = ed25519PublicKey();
    const ssh = await ngrok.sshCredentials.create({ description: "deploy", acl: ["bind:ssh.example.com"], publicKey, ownerId: bot.id });
    expect(ssh).toMatchObject({ description: "deploy", acl: ["bind:ssh.example.com"], publicKey, ownerId: bot.id });
    expect(ssh.id).toMatch(/^sshcr_/);
    expect(await ngrok.sshCredentials.update({ id: ssh.id, metadata: "x" })).toMatchObject({ metadata: "x", publicKey });
    expect((await ngrok.sshCredentials.get(ssh.id)).description).toBe("deploy");

    // One page, newest first. (Past one page this client sends `beforeId`, not ngrok's `before_id`, which the
    // emulator refuses as an unknown parameter (ERR_NGROK_231); paging itself is tested over raw HTTP.)
    const more: string[] = [];
    for (let i = 0; i < 3; i++) more.push((await ngrok.sshCredentials.create({ acl: [], publicKey: ed25519PublicKey().publicKey })).id);
    const all = (await ngrok.sshCredentials.list()).map((c) => c.id);
    expect(all).toEqual([...more].reverse().concat(ssh.id));

    await expect(ngrok.botUsers.delete(bot.id)).rejects.toMatchObject({ errorCode: "ERR_NGROK_409", statusCode: 409 });
    await expect(ngrok.apiKeys.create({ ownerId: "bot_nobody" })).rejects.toMatchObject({ errorCode: "ERR_NGROK_215", statusCode: 400 });
    // ngrok answers a delete 204 with no body; this client (node-fetch .json()) then fails to parse it, for
    // credentials too. The delete has happened all the same: the next get is a 404.
    const deleted = async (remove: Promise<unknown>, get: () => Promise<unknown>) => {
      await expect(remove).rejects.toThrow(SyntaxError);
      await expect(get()).rejects.toMatchObject({ errorCode: "ERR_NGROK_404", statusCode: 404 });
    };
    await deleted(ngrok.apiKeys.delete(key.id), () => ngrok.apiKeys.get(key.id));
    for (const id of [ssh.id, ...more]) await deleted(ngrok.sshCredentials.delete(id), () => ngrok.sshCredentials.get(id));
    await deleted(ngrok.botUsers.delete(bot.id), () => ngrok.botUsers.get(bot.id));
  });
});
