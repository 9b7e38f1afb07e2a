// The emulator enforces ngrok's account limits: a rolling request window (ERR_NGROK_226) and a cap on simultaneous requests (ERR_NGROK_225), on an injected clock.
import { describe, expect, it } from "vitest";
import { parseEmulatorArgs } from "./args.js";
import { createEmulator } from "./app.js";
import { call, freshKey, rec } from "./test-helpers.js";

function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("rolling-window rate limit", () => {
  it("is on by default at 120 per 60 s: the 121st call in a window is 429 ERR_NGROK_226 with ngrok's message", async () => {
    const c = clock();
    const em = createEmulator({ now: c.now });
    const key = freshKey();
    for (let i = 0; i < 120; i++) expect((await call(em, "GET", "/credentials", { key })).status).toBe(200);
    const refused = await call(em, "GET", "/credentials", { key });
    expect(refused.status).toBe(429);
    expect(rec(refused.json)).toMatchObject({ error_code: "ERR_NGROK_226", status_code: 429, msg: "Your account is rate limited to 120 API requests per 60s." });
    expect(refused.headers.get("Retry-After")).toBeNull();
    expect(refused.headers.get("Ngrok-Operation-Id")).toMatch(/^op_/);
    // Writes are refused too, and a refused create creates nothing.
    expect((await call(em, "POST", "/credentials", { key, body: { description: "x" } })).status).toBe(429);
    expect(em.account(key).credentials()).toEqual([]);
  });

  it("is rolling, not fixed: a slot frees exactly windowMs after the call that took it", async () => {
    const c = clock();
    const em = createEmulator({ now: c.now, rateLimit: { limit: 3, windowMs: 10_000 } });
    const key = freshKey();
    const get = async () => (await call(em, "GET", "/credentials", { key })).status;
    expect(await get()).toBe(200); // t=0
    c.advance(4_000);
    expect(await get()).toBe(200); // t=4
    expect(await get()).toBe(200); // t=4
    c.advance(5_999);
    expect(await get()).toBe(429); // t=9.999: all three still count
    c.advance(1);
    expect(await get()).toBe(200); // t=10: the t=0 call left the window
    expect(await get()).toBe(429);
    c.advance(3_999);
    expect(await get()).toBe(429); // t=13.999
    c.advance(1);
    expect(await get()).toBe(200); // t=14: one of the t=4 calls left
    expect(await get()).toBe(200);
    expect(await get()).toBe(429);
    expect(em.account(key).windowUsed()).toBe(3);
  });

  it("refusals are not counted against the window (a client that keeps asking still recovers)", async () => {
    const c = clock();
    const em = createEmulator({ now: c.now, rateLimit: { limit: 2, windowMs: 1_000 } });
    const key = freshKey();
    for (let i = 0; i < 2; i++) await call(em, "GET", "/credentials", { key });
    for (let i = 0; i < 50; i++) expect((await call(em, "GET", "/credentials", { key })).status).toBe(429);
    c.advance(1_000);
    expect((await call(em, "GET", "/credentials", { key })).status).toBe(200);
    const calls = em.account(key).calls();
    expect(calls.filter((r) => r.limited === "rate")).toHaveLength(50);
  });

  it("an hour of limit runs in a moment on the injected clock: never more than 120 in any 60 s", async () => {
    const c = clock();
    const em = createEmulator({ now: c.now });
    const key = freshKey();
    const accepted: number[] = [];
    for (let step = 0; step < 3_600; step++) {
      // A greedy client: 5 calls every second of simulated time.
      for (let i = 0; i < 5; i++) if ((await call(em, "GET", "/credentials?limit=1", { key })).status === 200) accepted.push(c.now());
      c.advance(1_000);
    }
    expect(accepted).toHaveLength(120 * 60);
    for (let i = 120; i < accepted.length; i++) expect((accepted[i] ?? 0) - (accepted[i - 120] ?? 0)).toBeGreaterThanOrEqual(60_000);
  });

  it("is per account, and off with rateLimit: \"off\"", async () => {
    const c = clock();
    const limited = createEmulator({ now: c.now, rateLimit: { limit: 1, windowMs: 60_000 } });
    const [a, b] = [freshKey(), freshKey()];
    expect((await call(limited, "GET", "/credentials", { key: a })).status).toBe(200);
    expect((await call(limited, "GET", "/credentials", { key: a })).status).toBe(429);
    expect((await call(limited, "GET", "/credentials", { key: b })).status).toBe(200);
    const off = createEmulator({ now: c.now, rateLimit: "off" });
    for (let i = 0; i < 300; i++) expect((await call(off, "GET", "/credentials", { key: a })).status).toBe(200);
    expect(off.account(a).windowUsed()).toBeNull();
  });

  it("control endpoints are not ngrok API calls and are never limited", async () => {
    const c = clock();
    const em = createEmulator({ now: c.now, rateLimit: { limit: 1, windowMs: 60_000 } });
    const key = freshKey();
    await call(em, "GET", "/credentials", { key });
    for (let i = 0; i < 5; i++) expect((await call(em, "GET", "/__emulator/calls", { key })).status).toBe(200);
    expect(rec((await call(em, "GET", "/__emulator/calls", { key })).json).window_used).toBe(1);
  });
});

describe("simultaneous requests", () => {
  it("beyond the cap, a request is 429 ERR_NGROK_225 and does no work", async () => {
    const em = createEmulator({ rateLimit: "off", maxConcurrent: 2 });
    const key = freshKey();
    em.account(key).addFaults({ method: "GET", latencyMs: 50, times: 2 });
    const slow = [call(em, "GET", "/credentials", { key }), call(em, "GET", "/credentials", { key })];
    await new Promise((r) => setTimeout(r, 10));
    const third = await call(em, "POST", "/credentials", { key, body: { description: "x" } });
    expect(third.status).toBe(429);
    expect(rec(third.json)).toMatchObject({ error_code: "ERR_NGROK_225", msg: "Your account is limited to 2 simultaneous API requests." });
    expect(em.account(key).credentials()).toEqual([]);
    expect((await Promise.all(slow)).map((a) => a.status)).toEqual([200, 200]);
    expect((await call(em, "POST", "/credentials", { key, body: { description: "x" } })).status).toBe(201);
    expect(em.account(key).maxInFlight()).toBe(2);
  });

  it("defaults to 10 at once", async () => {
    const em = createEmulator({ rateLimit: "off" });
    const key = freshKey();
    em.account(key).addFaults({ method: "GET", latencyMs: 30, times: 20 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => call(em, "GET", "/credentials", { key })));
    expect(answers.filter((a) => a.status === 429).map((a) => rec(a.json).error_code)).toEqual(["ERR_NGROK_225", "ERR_NGROK_225"]);
  });
});

describe("npm run emulator flags", () => {
  it("reads --port, --rate-limit, --max-concurrent and repeated --api-key", () => {
    expect(parseEmulatorArgs(["--port", "0", "--rate-limit", "10/1m", "--max-concurrent", "3", "--api-key", "a", "--api-key", "b"])).toEqual({
      port: 0,
      rateLimit: { limit: 10, windowMs: 60_000 },
      maxConcurrent: 3,
      apiKeys: ["a", "b"],
    });
    expect(parseEmulatorArgs([], { EMULATOR_PORT: "9000" })).toEqual({ port: 9000, rateLimit: { limit: 120, windowMs: 60_000 }, maxConcurrent: 10, apiKeys: undefined });
    expect(parseEmulatorArgs(["--rate-limit", "off", "--max-concurrent", "off"])).toMatchObject({ rateLimit: "off", maxConcurrent: "off" });
  });

  it("refuses bad values with a message naming the flag", () => {
    expect(() => parseEmulatorArgs(["--rate-limit", "fast"])).toThrow(/--rate-limit: invalid rate limit "fast"/);
    expect(() => parseEmulatorArgs(["--max-concurrent", "0"])).toThrow(/--max-concurrent/);
    expect(() => parseEmulatorArgs(["--port", "x"])).toThrow(/invalid port/);
    expect(() => parseEmulatorArgs(["--api-key", ""])).toThrow(/--api-key/);
  });
});
