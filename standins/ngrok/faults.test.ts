// Every fault kind: status, nth/times, method/path matching, Retry-After, latency, commit-then-fail, reset, timeout, raw bodies.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Emulator } from "./app.js";
import { createEmulator } from "./app.js";
import { call, freshKey, rec } from "./test-helpers.js";

let em: Emulator;
let key: string;
beforeEach(() => {
  em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
  key = freshKey();
});

const installFaults = async (faults: unknown[]) => {
  const res = await call(em, "POST", "/__emulator/faults", { key, body: { faults } });
  expect(res.status).toBe(200);
};
const list = () => call(em, "GET", "/credentials", { key });
const stateIds = () => em.account(key).credentials().map((c) => c.id);

describe("fault injection", () => {
  it("status fires on the nth matching call for `times` calls, with an ngrok error body", async () => {
    await installFaults([{ method: "GET", path: "/credentials", status: 503, nth: 2, times: 2 }]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await list()).status);
    expect(statuses).toEqual([200, 503, 503, 200]);
    await installFaults([{ status: 502 }]);
    const res = await list();
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ error_code: "ERR_NGROK_502", status_code: 502, msg: expect.any(String), details: { operation_id: res.headers.get("Ngrok-Operation-Id") } });
    const calls = rec((await call(em, "GET", "/__emulator/calls", { key })).json).calls as Record<string, unknown>[];
    expect(calls.map((c) => [c.status, c.fault])).toEqual([[200, null], [503, "status"], [503, "status"], [200, null], [502, "status"]]);
  });

  it("method and path prefix must both match; other calls pass untouched and are not counted", async () => {
    const id = String(rec((await call(em, "POST", "/credentials", { key, body: {} })).json).id);
    await installFaults([{ method: "delete", path: `/credentials/${id}`, status: 500 }]);
    expect((await call(em, "GET", `/credentials/${id}`, { key })).status).toBe(200);
    expect((await list()).status).toBe(200);
    expect((await call(em, "DELETE", `/credentials/${id}`, { key })).status).toBe(500);
    expect(stateIds()).toEqual([id]);
    expect((await call(em, "DELETE", `/credentials/${id}`, { key })).status).toBe(204);
  });

  it("429 with retryAfter carries Retry-After and ERR_NGROK_226, and performs nothing", async () => {
    await installFaults([{ method: "POST", status: 429, retryAfter: 7 }]);
    const res = await call(em, "POST", "/credentials", { key, body: {} });
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("7");
    expect(rec(res.json).error_code).toBe("ERR_NGROK_226");
    expect(stateIds()).toEqual([]);
  });

  it("latencyMs delays the answer, then answers normally", async () => {
    await installFaults([{ latencyMs: 60 }]);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let answered = false;
      const pending = list().then((res) => {
        answered = true;
        return res;
      });
      await vi.advanceTimersByTimeAsync(59);
      expect(answered).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect((await pending).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("commitThenFail on POST creates the credential but answers 500 without a token", async () => {
    await installFaults([{ method: "POST", commitThenFail: true }]);
    const res = await call(em, "POST", "/credentials", { key, body: { description: "lost" } });
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/token/);
    expect(em.account(key).credentials().map((c) => c.description)).toEqual(["lost"]);
  });

  it("commitThenFail on PATCH and DELETE applies the change, with the given status", async () => {
    const id = String(rec((await call(em, "POST", "/credentials", { key, body: {} })).json).id);
    await installFaults([{ method: "PATCH", commitThenFail: true, status: 502 }, { method: "DELETE", commitThenFail: true }]);
    expect((await call(em, "PATCH", `/credentials/${id}`, { key, body: { description: "new" } })).status).toBe(502);
    expect(em.account(key).credentials()[0]?.description).toBe("new");
    expect((await call(em, "DELETE", `/credentials/${id}`, { key })).status).toBe(500);
    expect(stateIds()).toEqual([]);
    // The retry after a lost DELETE answer sees 404.
    expect((await call(em, "DELETE", `/credentials/${id}`, { key })).status).toBe(404);
  });

  it("reset makes app.fetch reject with a TypeError, like a failed fetch, and performs nothing", async () => {
    await installFaults([{ method: "POST", reset: true }]);
    await expect(call(em, "POST", "/credentials", { key, body: {} })).rejects.toBeInstanceOf(TypeError);
    expect(stateIds()).toEqual([]);
    const calls = em.account(key).calls();
    expect(calls).toEqual([expect.objectContaining({ method: "POST", status: null, fault: "reset" })]);
  });

  it("timeout hangs until the request is aborted, then rejects with AbortError", async () => {
    await installFaults([{ timeout: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    // The fault hangs for 30 s unless aborted; the test's timeout would catch an abort that is ignored.
    await expect(call(em, "GET", "/credentials", { key, signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(em.account(key).calls()[0]).toMatchObject({ status: null, fault: "timeout" });
  });

  it("timeout with a short latencyMs answers 504 when nobody gave up", async () => {
    await installFaults([{ timeout: true, latencyMs: 10 }]);
    expect((await list()).status).toBe(504);
  });

  it("body sends a non-JSON error page", async () => {
    await installFaults([{ status: 502, body: "<html>Bad Gateway</html>" }]);
    const res = await list();
    expect(res.status).toBe(502);
    expect(res.text).toBe("<html>Bad Gateway</html>");
    expect(res.headers.get("Content-Type")).toMatch(/text\/html/);
  });

  it("DELETE /__emulator/faults clears pending faults; bad faults are refused", async () => {
    await installFaults([{ status: 500 }]);
    expect((await call(em, "DELETE", "/__emulator/faults", { key })).status).toBe(204);
    expect((await list()).status).toBe(200);
    expect((await call(em, "POST", "/__emulator/faults", { key, body: { faults: [{ nth: 0 }] } })).status).toBe(400);
    expect((await call(em, "POST", "/__emulator/faults", { key, body: { faults: [{ statsu: 500 }] } })).status).toBe(400);
    expect((await call(em, "POST", "/__emulator/faults", { key, body: {} })).status).toBe(400);
  });

  it("faults belong to one account", async () => {
    await installFaults([{ status: 500 }]);
    expect((await call(em, "GET", "/credentials", { key: freshKey() })).status).toBe(200);
    expect((await list()).status).toBe(500);
  });

  it("programmatic faults and the in-flight high-water mark", async () => {
    em.account(key).addFaults({ latencyMs: 30, times: 5 });
    await Promise.all(Array.from({ length: 5 }, () => list()));
    expect(em.account(key).maxInFlight()).toBe(5);
    expect(em.account(key).pendingFaults()).toEqual([]);
    expect(rec((await call(em, "GET", "/__emulator/calls", { key })).json).max_in_flight).toBe(5);
  });
});
