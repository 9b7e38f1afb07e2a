// The emulator app and the ngrok client inside workerd: no Node APIs, and a reset is a rejected fetch.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { NgrokClient } from "../../src/ngrok/client.js";
import { NgrokNetworkError } from "../../src/ngrok/errors.js";

const headers = { Authorization: "Bearer wk", "Ngrok-Version": "2", "Content-Type": "application/json" };

describe("ngrok emulator in workerd", () => {
  it("serves create, get and list through app.fetch", async () => {
    const em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
    const created = await em.app.fetch(new Request("http://emu/credentials", { method: "POST", headers, body: JSON.stringify({ description: "in workerd", acl: ["bind:*.example.com"] }) }));
    expect(created.status).toBe(201);
    expect(created.headers.get("Ngrok-Operation-Id")).toMatch(/^op_/);
    const body = (await created.json()) as { id: string; token: string; uri: string };
    expect(body.id).toMatch(/^cr_[0-9A-Za-z]{27}$/);
    expect(body.token).toMatch(/^[0-9A-Za-z]{27}_[0-9A-Za-z]{25}$/);
    expect(body.uri).toBe(`http://emu/credentials/${body.id}`);
    const got = await em.app.fetch(new Request(`http://emu/credentials/${body.id}`, { headers }));
    expect(((await got.json()) as { token: unknown }).token).toBeNull();
    const missing = await em.app.fetch(new Request("http://emu/credentials", { headers: { Authorization: "Bearer wk" } }));
    expect(missing.status).toBe(400);
  });

  it("a reset fault rejects app.fetch with a TypeError", async () => {
    const em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
    em.account("wk").addFaults({ reset: true });
    await expect(Promise.resolve().then(() => em.app.fetch(new Request("http://emu/credentials", { headers })))).rejects.toBeInstanceOf(TypeError);
  });

  it("the client pages through 150 credentials and maps a reset on POST to an unknown outcome", async () => {
    const em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
    em.account("wk").seed(Array.from({ length: 150 }, (_, i) => ({ description: `c${i}` })));
    const client = new NgrokClient({ baseUrl: "http://emu", apiKey: "wk", fetch: em.app.fetch, sleep: async () => {} });
    expect(await client.list()).toHaveLength(150);
    expect(client.stats.byOperation["credentials.list"]).toBe(2);
    em.account("wk").addFaults({ method: "POST", reset: true });
    const err = await client.create({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NgrokNetworkError);
    expect(err).toMatchObject({ outcomeUnknown: true });
  });

  it("the client's timeout aborts a hanging call inside workerd", async () => {
    const em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
    em.account("wk").addFaults({ timeout: true });
    const client = new NgrokClient({ baseUrl: "http://emu", apiKey: "wk", fetch: em.app.fetch, timeoutMs: 20, maxRetries: 0 });
    const err = await client.get("cr_x").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NGROK_NETWORK_ERROR", reason: "timeout", outcomeUnknown: false });
  });
});
