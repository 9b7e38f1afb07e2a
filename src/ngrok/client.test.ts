// The client and the emulator tested against each other: paging, methods, error mapping, retries, the in-flight cap, redaction.
import { beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../standins/ngrok/app.js";
import { createEmulator } from "../../standins/ngrok/app.js";
import type { NgrokClientOptions } from "./client.js";
import { NgrokClient } from "./client.js";
import { NgrokApiError, NgrokNetworkError, NgrokProtocolError } from "./errors.js";

const BASE = "http://ngrok.test";
let em: Emulator;
let key: string;
let sleeps: number[];
let n = 0;

beforeEach(() => {
  // ngrok's documented limit, explicitly: each test is a fresh account making far fewer than 120 calls.
  em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
  key = `sk_SECRET_${++n}_${Math.random().toString(36).slice(2)}`;
  sleeps = [];
});

function client(extra: Partial<NgrokClientOptions> = {}): NgrokClient {
  return new NgrokClient({
    baseUrl: BASE,
    apiKey: key,
    fetch: em.app.fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
}

const account = () => em.account(key);
const seed = (count: number) => account().seed(Array.from({ length: count }, (_, i) => ({ description: `c${i}` })));

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

function expectNoKey(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  const e = err as Error & Record<string, unknown>;
  for (const text of [e.message, String(e), JSON.stringify({ ...e }), String(e.msg ?? "")]) expect(text).not.toContain(key);
}

describe("list", () => {
  it.each([0, 1, 100, 101, 250])("reads all %i credentials in ceil(n/100) requests, newest first", async (count) => {
    const seeded = seed(count);
    const c = client();
    const all = await c.list();
    expect(all.map((x) => x.id)).toEqual(seeded.map((x) => x.id).reverse());
    expect(all.every((x) => x.token === null)).toBe(true);
    const pages = Math.max(1, Math.ceil(count / 100));
    expect(c.stats).toEqual({ requests: pages, retries: 0, byOperation: { "credentials.list": pages } });
    expect(account().calls().map((x) => x.query)[0]).toBe("?limit=100");
  });

  it("stays on the configured origin when next_page_uri names another host", async () => {
    seed(150);
    const seen: string[] = [];
    const foreign = (req: Request): Promise<Response> => {
      seen.push(req.url);
      return Promise.resolve(em.app.fetch(req)).then(async (res) => {
        const text = (await res.text()).replaceAll(BASE, "https://evil.example");
        return new Response(text, { status: res.status, headers: res.headers });
      });
    };
    const all = await client({ fetch: foreign }).list();
    expect(all).toHaveLength(150);
    expect(seen).toHaveLength(2);
    expect(seen.every((u) => u.startsWith(`${BASE}/credentials?`))).toBe(true);
  });

  it("refuses a next_page_uri that loops", async () => {
    const page = { credentials: [{ id: "cr_1", uri: "u", created_at: "t", token: null, acl: [], owner_id: "usr_1" }], uri: "u", next_page_uri: `${BASE}/credentials?before_id=cr_1&limit=100` };
    const looping = () => Promise.resolve(Response.json(page));
    const err = await caught(client({ fetch: looping }).list());
    expect(err).toBeInstanceOf(NgrokProtocolError);
    expect((err as NgrokProtocolError).code).toBe("NGROK_PROTOCOL_ERROR");
  });

  it("parses the reference's list example", async () => {
    const reference = {
      credentials: [
        { id: "cr_2TMGGL7UOvE5IkjdLwjKrOlUJm3", uri: "https://api.ngrok.com/credentials/cr_2TMGGL7UOvE5IkjdLwjKrOlUJm3", created_at: "2023-07-31T23:17:18Z", description: "development cred for alan@example.com", token: null, acl: [], owner_id: "usr_2TMGG635o87KDP13PBjUDx2rzJY" },
        { id: "cr_2TMGGIw07ve6R3DQzMrN3964IKQ", uri: "https://api.ngrok.com/credentials/cr_2TMGGIw07ve6R3DQzMrN3964IKQ", created_at: "2023-07-31T23:17:18Z", description: "for device #132", token: null, acl: ["bind:1.tcp.ngrok.io:20002", "bind:132.devices.company.com"], owner_id: "usr_2TMGG635o87KDP13PBjUDx2rzJY" },
        { id: "cr_2TMGG9nG76NdxNAb6B33fiqs1DL", uri: "https://api.ngrok.com/credentials/cr_2TMGG9nG76NdxNAb6B33fiqs1DL", created_at: "2023-07-31T23:17:17Z", description: 'credential for "api-examples-a7bdd90fd3fe6d67@example.com"', token: null, acl: [], owner_id: "usr_2TMGG635o87KDP13PBjUDx2rzJY" },
      ],
      uri: "https://api.ngrok.com/credentials",
      next_page_uri: null,
    };
    const all = await client({ fetch: () => Promise.resolve(Response.json(reference)) }).list();
    expect(all).toEqual(reference.credentials);
  });
});

describe("methods", () => {
  it("create returns the token; get, update and delete work; headers are ngrok's", async () => {
    const sent: Request[] = [];
    const c = client({
      fetch: (req) => {
        sent.push(req.clone());
        return em.app.fetch(req);
      },
    });
    const created = await c.create({ description: "d", acl: ["bind:a.example.com"] });
    expect(created.token).toBe(account().tokens()[created.id]);
    const got = await c.get(created.id);
    expect(got).toEqual({ ...created, token: null });
    const updated = await c.update(created.id, { description: "", metadata: "m" });
    expect(updated).not.toHaveProperty("description");
    expect(updated.metadata).toBe("m");
    await c.delete(created.id);
    expect(account().credentials()).toEqual([]);
    expect(c.stats.byOperation).toEqual({ "credentials.create": 1, "credentials.get": 1, "credentials.update": 1, "credentials.delete": 1 });
    for (const req of sent) {
      expect(req.headers.get("Authorization")).toBe(`Bearer ${key}`);
      expect(req.headers.get("Ngrok-Version")).toBe("2");
      expect(req.headers.get("User-Agent")).toBe("ngrok-gitops");
      expect(req.headers.get("Content-Type")).toBe(["POST", "PATCH"].includes(req.method) ? "application/json" : null);
    }
    c.resetStats();
    expect(c.stats).toEqual({ requests: 0, retries: 0, byOperation: {} });
  });

  it("parses the reference's create and get examples", async () => {
    const created = { id: "cr_2TMGGL7UOvE5IkjdLwjKrOlUJm3", uri: "https://api.ngrok.com/credentials/cr_2TMGGL7UOvE5IkjdLwjKrOlUJm3", created_at: "2023-07-31T23:17:18Z", description: "development cred for alan@example.com", token: "2TMGGL7UOvE5IkjdLwjKrOlUJm3_5JsFk4rfMHdTH7B96qRVD", acl: [], owner_id: "usr_2TMGG635o87KDP13PBjUDx2rzJY" };
    expect(await client({ fetch: () => Promise.resolve(Response.json(created, { status: 201 })) }).create({ description: created.description })).toEqual(created);
    const got = { ...created, description: "device alpha-2", metadata: '{"device_id": "d5111ba7-0cc5-4ba3-8398-e6c79e4e89c2"}', token: null };
    expect(await client({ fetch: () => Promise.resolve(Response.json(got)) }).get(got.id)).toEqual(got);
  });

  it("a 2xx body that is not a credential is a protocol error", async () => {
    const err = await caught(client({ fetch: () => Promise.resolve(new Response("<html/>", { status: 200 })) }).get("cr_x"));
    expect(err).toBeInstanceOf(NgrokProtocolError);
  });
});

describe("error mapping", () => {
  it("404 → NgrokApiError with ngrok's code, message and operation id", async () => {
    const err = await caught(client().get("cr_missing"));
    expect(err).toBeInstanceOf(NgrokApiError);
    const e = err as NgrokApiError;
    expect(e).toMatchObject({ code: "NGROK_API_ERROR", operation: "credentials.get", status_code: 404, error_code: "ERR_NGROK_404", msg: "Resource not found", outcomeUnknown: false });
    expect(e.operation_id).toBe(account().calls()[0]?.operation_id);
    expect(e.message).toContain("ERR_NGROK_404");
    expect(account().calls()).toHaveLength(1);
  });

  it("400 validation errors are not retried", async () => {
    const err = await caught(client().create({ description: "é".repeat(128) }));
    expect(err).toMatchObject({ status_code: 400, error_code: "ERR_NGROK_215", operation: "credentials.create" });
    const acl = await caught(client().update("cr_x", { acl: ["connect:x"] }));
    expect(acl).toMatchObject({ status_code: 404 });
    expect(account().calls()).toHaveLength(2);
  });

  it("401 for a rejected key: the emulator echoes the key, the error never does", async () => {
    em = createEmulator({ apiKeys: ["other"] });
    const err = await caught(client().list());
    expect(err).toMatchObject({ status_code: 401, error_code: "ERR_NGROK_203" });
    expect((err as NgrokApiError).msg).toContain("[REDACTED]");
    expectNoKey(err);
  });

  it("a non-JSON error body still gives a clean NgrokApiError", async () => {
    account().addFaults({ status: 502, body: "<html><body>Bad Gateway</body></html>", times: 10 });
    const err = await caught(client({ maxRetries: 0 }).get("cr_x"));
    expect(err).toBeInstanceOf(NgrokApiError);
    const e = err as NgrokApiError;
    expect(e).toMatchObject({ status_code: 502, error_code: null });
    expect(e.msg).not.toContain("<html>");
    expect(e.operation_id).toMatch(/^op_/);
  });
});

describe("retries", () => {
  it("429 is retried after Retry-After seconds, on any method including POST", async () => {
    account().addFaults({ method: "POST", status: 429, retryAfter: 2 });
    const c = client();
    const created = await c.create({ description: "once" });
    // One wait of Retry-After's 2 s, less whatever the real clock moved between the 429 and the wait (a loaded
    // runner can take tens of milliseconds there): never more, and never the backoff's sub-second guess.
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(1_000);
    expect(sleeps[0]).toBeLessThanOrEqual(2_000);
    expect(c.stats).toMatchObject({ requests: 2, retries: 1 });
    expect(account().credentials().map((x) => x.id)).toEqual([created.id]);
  });

  it("429 honours an HTTP-date Retry-After, and caps long waits", async () => {
    const now = Date.UTC(2024, 0, 1, 0, 0, 0);
    const dated = (when: string) => () => Promise.resolve(new Response("{}", { status: 429, headers: { "Retry-After": when } }));
    await caught(client({ fetch: dated(new Date(now + 5000).toUTCString()), now: () => now, maxRateLimitRetries: 1 }).list());
    expect(sleeps).toEqual([5000]);
    sleeps = [];
    await caught(client({ fetch: dated("3600"), maxRateLimitRetries: 1 }).list());
    expect(sleeps.map((ms) => Math.round(ms / 100) * 100)).toEqual([60_000]);
  });

  it("429 without Retry-After: the limiter pauses a slice of the window, one more per 429 in a row", async () => {
    account().addFaults({ status: 429, times: 3 });
    await client().list();
    // 120 per 60 s: a slice is 500 ms (the real clock may tick a millisecond in between).
    expect(sleeps.map((ms) => Math.round(ms / 100) * 100)).toEqual([500, 1000, 1500]);
  });

  it("429s have their own retry budget (maxRetries is for failures): a paced client outlasts a long throttle", async () => {
    account().addFaults({ status: 429, times: 6 });
    const c = client({ maxRetries: 1 });
    expect(await c.list()).toEqual([]);
    expect(c.stats).toMatchObject({ requests: 7, retries: 6 });
    expect(c.limiter.stats.throttled).toBe(6);
    account().addFaults({ status: 429, times: 11 });
    const err = await caught(client({ maxRateLimitRetries: 10 }).list());
    expect(err).toBeInstanceOf(NgrokApiError);
    expect(err).toMatchObject({ status_code: 429, error_code: "ERR_NGROK_226" });
  });

  it("5xx is retried for GET with exponential full-jitter backoff", async () => {
    account().addFaults({ method: "GET", status: 503, times: 2 });
    const c = client({ random: () => 0.999 });
    expect(await c.list()).toEqual([]);
    expect(sleeps).toEqual([249, 499]);
    expect(c.stats).toEqual({ requests: 3, retries: 2, byOperation: { "credentials.list": 3 } });
  });

  it("gives up after maxRetries", async () => {
    account().addFaults({ status: 500, times: 100 });
    const c = client({ maxRetries: 4 });
    const err = await caught(c.list());
    expect(err).toMatchObject({ status_code: 500, outcomeUnknown: false });
    expect(c.stats.requests).toBe(5);
  });

  it("5xx on POST is never retried and is flagged outcomeUnknown", async () => {
    account().addFaults({ method: "POST", status: 500 });
    const err = await caught(client().create({}));
    expect(err).toMatchObject({ code: "NGROK_API_ERROR", status_code: 500, outcomeUnknown: true, operation: "credentials.create" });
    expect(account().calls()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("commit-then-fail on POST: one call, a credential exists, the caller is told the outcome is unknown", async () => {
    account().addFaults({ method: "POST", commitThenFail: true });
    const err = await caught(client().create({ description: "orphan?" }));
    expect(err).toMatchObject({ status_code: 500, outcomeUnknown: true });
    expect(account().credentials()).toHaveLength(1);
  });

  it("a reset on POST → NgrokNetworkError with outcomeUnknown, not retried", async () => {
    account().addFaults({ method: "POST", reset: true });
    const err = await caught(client().create({}));
    expect(err).toBeInstanceOf(NgrokNetworkError);
    expect(err).toMatchObject({ code: "NGROK_NETWORK_ERROR", reason: "connection", outcomeUnknown: true, operation: "credentials.create" });
    expect(account().calls()).toHaveLength(1);
  });

  it("a reset on GET is retried", async () => {
    const [cred] = seed(1);
    account().addFaults({ method: "GET", reset: true });
    expect((await client().get(cred?.id ?? "")).id).toBe(cred?.id);
    expect(account().calls().map((x) => x.fault)).toEqual(["reset", null]);
  });

  it("a timeout aborts the attempt: GET retries, POST reports outcomeUnknown", async () => {
    account().addFaults({ method: "GET", timeout: true });
    const c = client({ timeoutMs: 1000 });
    expect(await c.list()).toEqual([]);
    expect(c.stats.retries).toBe(1);
    account().addFaults({ method: "POST", timeout: true });
    const err = await caught(c.create({}));
    expect(err).toMatchObject({ code: "NGROK_NETWORK_ERROR", reason: "timeout", outcomeUnknown: true });
    account().addFaults({ method: "GET", timeout: true });
    const get = await caught(client({ timeoutMs: 1000, maxRetries: 0 }).list());
    expect(get).toMatchObject({ code: "NGROK_NETWORK_ERROR", reason: "timeout", outcomeUnknown: false, operation: "credentials.list" });
  });

  it("commit-then-fail on PATCH, then the retry succeeds with the same result", async () => {
    const [cred] = seed(1);
    account().addFaults({ method: "PATCH", commitThenFail: true, status: 502 });
    const c = client();
    const updated = await c.update(cred?.id ?? "", { description: "after" });
    expect(updated.description).toBe("after");
    expect(account().calls().map((x) => [x.method, x.status])).toEqual([["PATCH", 502], ["PATCH", 200]]);
    expect(c.stats.retries).toBe(1);
  });

  it("a DELETE whose answer was lost sees 404 on retry, surfaced as NgrokApiError 404", async () => {
    const [cred] = seed(1);
    account().addFaults({ method: "DELETE", commitThenFail: true });
    const err = await caught(client().delete(cred?.id ?? ""));
    expect(err).toMatchObject({ status_code: 404, operation: "credentials.delete", outcomeUnknown: false });
    expect(account().credentials()).toEqual([]);
  });
});

describe("in-flight cap", () => {
  it.each([6, 3])("20 concurrent gets never exceed %i open requests at the emulator", async (cap) => {
    const seeded = seed(20);
    account().addFaults({ method: "GET", latencyMs: 15, times: 20 });
    const c = client({ ...(cap === 6 ? {} : { maxInFlight: cap }) });
    const got = await Promise.all(seeded.map((s) => c.get(s.id)));
    expect(got.map((g) => g.id)).toEqual(seeded.map((s) => s.id));
    expect(account().maxInFlight()).toBe(cap);
  });
});

describe("redaction", () => {
  it("no error message from any failure path contains the API key", async () => {
    const errors: unknown[] = [];
    errors.push(await caught(client().get("cr_missing")));
    account().addFaults({ method: "POST", reset: true }, { method: "POST", status: 500 }, { status: 503, body: `<p>${key}</p>`, times: 10 });
    errors.push(await caught(client().create({})));
    errors.push(await caught(client().create({})));
    errors.push(await caught(client({ maxRetries: 0 }).list()));
    em = createEmulator({ apiKeys: ["x"] });
    errors.push(await caught(client().list()));
    errors.push(await caught(client({ fetch: () => Promise.reject(new TypeError(`fetch failed for ${key}`)), maxRetries: 0 }).list()));
    for (const err of errors) expectNoKey(err);
  });
});
