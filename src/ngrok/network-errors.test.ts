// Network failures and wrong URLs, over real sockets: the error names the host and the reason (DNS, refused, TLS, timeout, reset) and points at NGROK_API_URL.
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { NgrokClient } from "./client.js";
import { NgrokApiError, NgrokNetworkError, classifyNetworkFailure } from "./errors.js";

const KEY = "sk_network_SECRET_key";
let emulator: StartedEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, rateLimit: { limit: 120, windowMs: 60_000 } });
});
afterAll(async () => {
  await emulator.close();
});

const client = (baseUrl: string, extra: Partial<ConstructorParameters<typeof NgrokClient>[0]> = {}) =>
  new NgrokClient({ baseUrl, apiKey: KEY, maxRetries: 0, rateLimit: "off", timeoutMs: 5_000, ...extra });

async function failure(promise: Promise<unknown>): Promise<NgrokNetworkError | NgrokApiError> {
  const err = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(String((err as Error).message)).not.toContain(KEY);
  return err as NgrokNetworkError | NgrokApiError;
}

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen({ port: 0, host: "127.0.0.1" }, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const control = (path: string, body: unknown) =>
  fetch(`${emulator.url}/__emulator/${path}`, { method: "POST", headers: { Authorization: `Bearer ${KEY}`, "Ngrok-Version": "2", "Content-Type": "application/json" }, body: JSON.stringify(body) });

describe("network errors name the host and the reason", () => {
  it("DNS: a name that cannot resolve", async () => {
    const err = await failure(client("https://api.ngrok.invalid").list());
    expect(err).toBeInstanceOf(NgrokNetworkError);
    expect(err).toMatchObject({ kind: "dns", host: "api.ngrok.invalid", reason: "connection" });
    expect(err.message).toMatch(/^credentials\.list failed: cannot reach api\.ngrok\.invalid: the host name does not resolve \(DNS\).*; check NGROK_API_URL$/);
  });

  it("refused: nothing listens on the port", async () => {
    const port = await closedPort();
    const err = await failure(client(`http://127.0.0.1:${port}`).list());
    expect(err).toMatchObject({ kind: "refused", host: `127.0.0.1:${port}` });
    expect(err.message).toContain(`cannot reach 127.0.0.1:${port}: the connection was refused`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it("TLS: https to a server that speaks plain HTTP", async () => {
    const host = new URL(emulator.url).host;
    const err = await failure(client(`https://${host}`).list());
    expect(err).toMatchObject({ kind: "tls", host });
    expect(err.message).toContain("the TLS handshake failed");
  });

  it("timeout: no answer within timeoutMs", async () => {
    await control("faults", { faults: [{ timeout: true, latencyMs: 2_000 }] });
    const err = await failure(client(emulator.url, { timeoutMs: 100 }).list());
    expect(err).toMatchObject({ kind: "timeout", reason: "timeout", host: new URL(emulator.url).host });
    expect(err.message).toMatch(/no answer from 127\.0\.0\.1:\d+ before the timeout \(100 ms\); check NGROK_API_URL$/);
  });

  it("reset: the connection drops before an answer; a POST says its outcome is unknown", async () => {
    await control("faults", { faults: [{ method: "POST", reset: true }] });
    const err = await failure(client(emulator.url).create({ description: "x" }));
    expect(err).toMatchObject({ kind: "reset", outcomeUnknown: true });
    expect(err.message).toMatch(/the connection was reset before an answer.*; the outcome is unknown; check NGROK_API_URL$/);
  });
});

describe("an answer that is not ngrok's", () => {
  it("an HTML 404 (a wrong URL, a proxy) says to check NGROK_API_URL", async () => {
    await control("faults", { faults: [{ status: 404, body: "<html><body>Not Found</body></html>" }] });
    const err = await failure(client(emulator.url).list());
    expect(err).toBeInstanceOf(NgrokApiError);
    expect(err).toMatchObject({ status_code: 404, error_code: null });
    expect(err.message.startsWith(`credentials.list failed: HTTP 404: the answer is not from the ngrok API (text/html; charset=utf-8); check NGROK_API_URL (${emulator.url})`)).toBe(true);
  });

  it("ngrok's own 404 keeps ngrok's message", async () => {
    const err = await failure(client(emulator.url).get("cr_missing"));
    expect(err).toMatchObject({ status_code: 404, error_code: "ERR_NGROK_404" });
    expect(err.message).not.toContain("NGROK_API_URL");
  });
});

describe("classifyNetworkFailure", () => {
  it("reads undici's cause codes and workerd's messages", () => {
    const undici = (code: string, message: string) => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(message), { code }) });
    expect(classifyNetworkFailure(undici("ENOTFOUND", "getaddrinfo ENOTFOUND x.invalid"))).toEqual({ kind: "dns", detail: "getaddrinfo ENOTFOUND x.invalid" });
    expect(classifyNetworkFailure(undici("EAI_AGAIN", "getaddrinfo EAI_AGAIN x")).kind).toBe("dns");
    expect(classifyNetworkFailure(undici("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1")).kind).toBe("refused");
    expect(classifyNetworkFailure(undici("CERT_HAS_EXPIRED", "certificate has expired")).kind).toBe("tls");
    expect(classifyNetworkFailure(undici("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error")).kind).toBe("timeout");
    expect(classifyNetworkFailure(undici("UND_ERR_SOCKET", "other side closed")).kind).toBe("reset");
    const refusedBoth = Object.assign(new TypeError("fetch failed"), { cause: new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:1"), { code: "ECONNREFUSED" })]) });
    expect(classifyNetworkFailure(refusedBoth).kind).toBe("refused");
    expect(classifyNetworkFailure(new TypeError("Network connection lost.")).kind).toBe("reset");
    expect(classifyNetworkFailure(new Error("DNS lookup failed")).kind).toBe("dns");
    expect(classifyNetworkFailure(new Error("TLS peer's certificate is not trusted")).kind).toBe("tls");
    expect(classifyNetworkFailure(new Error("something else")).kind).toBe("connection");
    expect(classifyNetworkFailure("not an error")).toEqual({ kind: "connection", detail: null });
  });
});
