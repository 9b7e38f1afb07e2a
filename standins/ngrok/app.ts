// The ngrok credentials API emulator: a hono app with in-memory accounts keyed by API key, plus fault injection.
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Credential, NgrokErrorBody } from "../../src/ngrok/types.js";
import type { RateLimit } from "../../src/ngrok/rate-limit.js";
import { NGROK_RATE_LIMIT, formatRateLimit, parseRateLimit } from "../../src/ngrok/rate-limit.js";
import type { CallRecord, StoredCredential } from "./account.js";
import { Account, toWire } from "./account.js";
import { ConnectionResetError, ERR, EmulatorHttpError, codeForStatus, errorBody } from "./errors.js";
import type { Fault } from "./faults.js";
import { abortableSleep, faultProblem } from "./faults.js";
import { KsuidSource, operationId, rfc3339Seconds } from "./ids.js";
import { parseCreate } from "./validate.js";
import type { Ctx, EmulatorEnv } from "./resource.js";
import { mountResource } from "./resource.js";
import { credentialsKind } from "./credentials.js";
import { serviceUsersKind } from "./service-users.js";
import type { MintedKey } from "./api-keys.js";
import { apiKeysKind } from "./api-keys.js";
import { sshCredentialsKind } from "./ssh-credentials.js";

export type { Fault } from "./faults.js";
export type { CallRecord } from "./account.js";

export interface EmulatorOptions {
  /** Only these API keys are accepted (401 otherwise); by default every bearer key is its own account. */
  apiKeys?: readonly string[];
  /** Origin (and optional path prefix) used in `uri` and `next_page_uri`; defaults to the request's origin. */
  baseUrl?: string;
  /** Clock, for created_at, id timestamps and the rate limit's window: inject one to run an hour of limit in a second. */
  now?: () => number;
  /** Requests per rolling window per account, as ngrok enforces it (429 ERR_NGROK_226). Default 120 per 60 s. */
  rateLimit?: RateLimit | "off";
  /** Simultaneous API requests per account (429 ERR_NGROK_225); ngrok publishes no number. Default 10 (our pick). */
  maxConcurrent?: number | "off";
}

/** ngrok does not publish its cap on simultaneous requests; 10 is our pick, above the client's 6 connections. */
export const DEFAULT_MAX_CONCURRENT = 10;

export interface SeedCredential {
  description?: string;
  metadata?: string;
  acl?: string[];
  owner_id?: string;
  /** RFC 3339; defaults to now. Ids still sort by insertion, whatever created_at says. */
  created_at?: string;
}

/** Programmatic handle on one account, for in-process tests. */
export interface AccountControl {
  readonly ownerId: string;
  addFaults(...faults: Fault[]): void;
  clearFaults(): void;
  pendingFaults(): Fault[];
  reset(): void;
  /** Creates credentials directly (not counted as API calls); the results carry their tokens. */
  seed(items: readonly SeedCredential[]): Credential[];
  calls(): CallRecord[];
  /** The highest number of ngrok API calls this account had in flight at once. */
  maxInFlight(): number;
  /** Requests counted in the rate limit's window now; null when the limit is off. */
  windowUsed(): number | null;
  credentials(): Credential[];
  tokens(): Record<string, string>;
}

export interface Emulator {
  app: Hono<EmulatorEnv>;
  /** `app.fetch` typed as a one-argument fetch. */
  fetch(request: Request): Promise<Response>;
  account(apiKey: string): AccountControl;
}


const SUPPORTED_VERSIONS = ["2"];
const DEFAULT_TIMEOUT_FAULT_MS = 30_000;

function isAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const now = options.now ?? Date.now;
  const ids = new KsuidSource(now);
  const accounts = new Map<string, Account>();
  /** Tokens of API keys created through /api_keys: each authenticates as the account that created it. */
  const minted = new Map<string, MintedKey>();
  const allow = options.apiKeys === undefined ? undefined : new Set(options.apiKeys);
  const fixedBase = options.baseUrl?.replace(/\/+$/, "");
  const rateLimit = options.rateLimit ?? NGROK_RATE_LIMIT;
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  if (rateLimit !== "off" && (!Number.isSafeInteger(rateLimit.limit) || rateLimit.limit < 1 || !(rateLimit.windowMs > 0))) {
    throw new RangeError(`ngrok emulator: invalid rate limit ${JSON.stringify(rateLimit)}`);
  }
  if (maxConcurrent !== "off" && (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1)) {
    throw new RangeError(`ngrok emulator: invalid concurrency cap ${JSON.stringify(maxConcurrent)}`);
  }
  const rateMessage = (rate: RateLimit | null) => (rate === null ? "" : `Your account is rate limited to ${rate.limit} API requests per ${formatRateLimit(rate).split("/")[1] ?? ""}.`);

  const mintedAccount = (key: string): Account | undefined => {
    const entry = minted.get(key);
    return entry !== undefined && entry.account.apiKeys.has(entry.id) ? entry.account : undefined;
  };
  const accountFor = (key: string): Account => {
    let account = accounts.get(key) ?? mintedAccount(key);
    if (account === undefined) {
      account = new Account(ids, now, rateLimit === "off" ? null : rateLimit);
      accounts.set(key, account);
    }
    return account;
  };
  const baseOf = (c: Ctx): string => fixedBase ?? new URL(c.req.url).origin;
  const fail = (c: Ctx, status: number, code: string, msg: string, headers: Record<string, string> = {}): Response => {
    const body: NgrokErrorBody = errorBody(code, status, msg, c.get("opId"));
    return c.json(body, status as ContentfulStatusCode, headers);
  };

  const seed = (account: Account, items: readonly unknown[], base: string): Credential[] =>
    items.map((item) => {
      const record = (typeof item === "object" && item !== null && !Array.isArray(item) ? item : {}) as Record<string, unknown>;
      const { created_at: createdAt, ...rest } = record;
      const body = parseCreate(item === record ? rest : item);
      let created: string | undefined;
      if (createdAt !== undefined) {
        const ms = typeof createdAt === "string" ? Date.parse(createdAt) : Number.NaN;
        if (Number.isNaN(ms)) throw new EmulatorHttpError(400, "ERR_NGROK_241", `The value ${JSON.stringify(createdAt)} is not a valid RFC3339 timestamp.`);
        created = rfc3339Seconds(ms);
      }
      const { stored, token } = account.create(body, created);
      return toWire(stored, base, token);
    });

  const app = new Hono<EmulatorEnv>();

  app.onError((err, c) => {
    if (err instanceof EmulatorHttpError) return fail(c, err.status, err.errorCode, err.message);
    // A reset or an abort must surface from app.fetch as a rejection, the way a failed fetch does.
    if (err instanceof ConnectionResetError || isAbort(err)) throw err;
    return fail(c, 500, "ERR_NGROK_500", "The ngrok emulator failed internally.");
  });
  app.notFound((c) => fail(c, 404, ERR.notFound, "Resource not found"));

  // Every answer, error or not, carries an operation id.
  app.use("*", async (c, next) => {
    const opId = operationId();
    c.set("opId", opId);
    await next();
    c.res.headers.set("Ngrok-Operation-Id", opId);
  });

  app.use("*", async (c, next) => {
    const header = c.req.header("Authorization");
    if (header === undefined || header.trim() === "") {
      return fail(c, 401, ERR.authMissing, "The ngrok API requires that you set the Authorization header for authentication. Your API keys and instructions are available on your dashboard: https://dashboard.ngrok.com/api-keys");
    }
    const match = /^Bearer +(\S+) *$/.exec(header);
    const key = match?.[1];
    if (key === undefined) {
      return fail(c, 401, ERR.authUnparseable, "The ngrok API requires that you use Basic or Bearer authentication via the Authorization header. It could not parse the header in this request.");
    }
    if (allow !== undefined && !allow.has(key) && mintedAccount(key) === undefined) {
      // ngrok echoes the rejected key; so do we, which keeps the client's redaction honest.
      return fail(c, 401, ERR.authInvalid, `The API authentication you specified is properly formed, but it is invalid. Your authentication: ${key}. API keys and instructions are available on your dashboard: https://dashboard.ngrok.com/api-keys`);
    }
    c.set("apiKey", key);
    c.set("account", accountFor(key));
    await next();
  });

  const api = async (c: Ctx, next: () => Promise<void>): Promise<Response | undefined> => {
    const version = c.req.header("Ngrok-Version");
    if (version === undefined || version.trim() === "") {
      return fail(c, 400, ERR.versionMissing, `Your request has not specified an API version. Please include the version you wish to use in the Ngrok-Version header. Supported versions: ${SUPPORTED_VERSIONS.join(", ")}.`);
    }
    if (!SUPPORTED_VERSIONS.includes(version.trim())) {
      return fail(c, 400, ERR.versionUnsupported, `The provided API version ${JSON.stringify(version)} is invalid or unsupported. Supported versions: ${SUPPORTED_VERSIONS.join(", ")}.`);
    }
    const account = c.get("account");
    const url = new URL(c.req.url);
    const record: CallRecord = { method: c.req.method, path: url.pathname, query: url.search, status: null, fault: null, operation_id: c.get("opId"), at: now() };
    account.calls.push(record);
    // Refusals for the account's limits come first, before any work, and are not counted against the window (our pick).
    if (maxConcurrent !== "off" && account.inFlight >= maxConcurrent) {
      record.status = 429;
      record.limited = "concurrency";
      return fail(c, 429, ERR.tooManySimultaneous, `Your account is limited to ${maxConcurrent} simultaneous API requests.`);
    }
    if (account.window !== null && !account.window.tryTake(now())) {
      record.status = 429;
      record.limited = "rate";
      return fail(c, 429, ERR.rateLimited, rateMessage(account.rate));
    }
    account.inFlight += 1;
    account.maxInFlight = Math.max(account.maxInFlight, account.inFlight);
    try {
      const fault = account.faults.take(c.req.method, url.pathname);
      const response = await applyFault(c, fault, record, next);
      if (response !== undefined) c.res = response;
      record.status = c.res.status;
      return c.res;
    } finally {
      account.inFlight -= 1;
    }
  };

  const faultResponse = (c: Ctx, fault: Fault, fallbackStatus: number): Response => {
    const status = fault.status ?? fallbackStatus;
    const headers: Record<string, string> = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
    if (fault.body !== undefined) {
      return new Response(fault.body, { status, headers: { ...headers, "Content-Type": "text/html; charset=utf-8", "Ngrok-Operation-Id": c.get("opId") } });
    }
    const msg = status === 429 ? rateMessage(c.get("account").rate ?? NGROK_RATE_LIMIT) : `Injected failure with status ${status}.`;
    return fail(c, status, codeForStatus(status), msg, headers);
  };

  const applyFault = async (c: Ctx, fault: Fault | undefined, record: CallRecord, next: () => Promise<void>): Promise<Response | undefined> => {
    if (fault === undefined) {
      await next();
      return undefined;
    }
    const signal = c.req.raw.signal;
    if (fault.reset) {
      record.fault = "reset";
      if (fault.latencyMs) await abortableSleep(fault.latencyMs, signal);
      throw new ConnectionResetError();
    }
    if (fault.timeout) {
      record.fault = "timeout";
      await abortableSleep(fault.latencyMs ?? DEFAULT_TIMEOUT_FAULT_MS, signal);
      return faultResponse(c, fault, 504);
    }
    if (fault.latencyMs) {
      record.fault = "latency";
      await abortableSleep(fault.latencyMs, signal);
    }
    if (fault.commitThenFail) {
      record.fault = "commitThenFail";
      await next();
      c.res = undefined;
      return faultResponse(c, fault, 500);
    }
    if (fault.status !== undefined || fault.body !== undefined) {
      record.fault = "status";
      return faultResponse(c, fault, 500);
    }
    await next();
    return undefined;
  };


  const readJson = async (c: Ctx): Promise<unknown> => {
    const text = await c.req.text();
    if (text.trim() === "") return {};
    const type = c.req.header("Content-Type");
    if (type === undefined) throw new EmulatorHttpError(400, ERR.contentTypeMissing, "You did not provide a Content-Type with your request.");
    if (!/^application\/json\b/i.test(type.trim())) throw new EmulatorHttpError(400, ERR.contentTypeUnsupported, `The content type you specified ${JSON.stringify(type)} is not supported by the API.`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new EmulatorHttpError(400, ERR.bodyUnparseable, "The application/json request body could not be parsed.");
    }
  };

  const wire = (c: Ctx, stored: StoredCredential, token: string | null = null): Credential => toWire(stored, baseOf(c), token);
  const deps = { api, baseOf, readJson };
  mountResource(app, credentialsKind(), deps);
  mountResource(app, serviceUsersKind("/service_users"), deps);
  mountResource(app, serviceUsersKind("/bot_users"), deps);
  mountResource(app, apiKeysKind(minted), deps);
  mountResource(app, sshCredentialsKind(), deps);

  // Control endpoints: scoped to the account of the bearer key, never counted as ngrok API calls.
  const control = new Hono<EmulatorEnv>();
  control.post("/faults", async (c) => {
    const body = (await readJson(c)) as { faults?: unknown };
    if (!Array.isArray(body.faults)) throw new EmulatorHttpError(400, ERR.invalidValue, "Expected {faults: Fault[]}.");
    for (const fault of body.faults) {
      const problem = faultProblem(fault);
      if (problem !== undefined) throw new EmulatorHttpError(400, ERR.invalidValue, problem);
    }
    const account = c.get("account");
    account.addFaults(body.faults as Fault[]);
    return c.json({ pending: account.faults.pending() }, 200);
  });
  control.delete("/faults", (c) => {
    c.get("account").faults.clear();
    return c.body(null, 204);
  });
  control.post("/reset", (c) => {
    c.get("account").reset();
    return c.body(null, 204);
  });
  /** This account's own rate limit, `{"rate":"20/4s"}` or `{"rate":"off"}`, until the next reset. */
  control.post("/rate-limit", async (c) => {
    const body = (await readJson(c)) as { rate?: unknown };
    let rate: RateLimit | "off";
    try {
      rate = parseRateLimit(typeof body.rate === "string" ? body.rate : "");
    } catch {
      throw new EmulatorHttpError(400, ERR.invalidValue, 'Expected {rate: "N/Ss"} or {rate: "off"}.');
    }
    c.get("account").setRateLimit(rate === "off" ? null : rate);
    return c.json({ rate: formatRateLimit(rate) }, 200);
  });
  control.post("/seed", async (c) => {
    const body = (await readJson(c)) as { credentials?: unknown };
    if (!Array.isArray(body.credentials)) throw new EmulatorHttpError(400, ERR.invalidValue, "Expected {credentials: SeedCredential[]}.");
    return c.json({ credentials: seed(c.get("account"), body.credentials, baseOf(c)) }, 201);
  });
  control.get("/calls", (c) => {
    const account = c.get("account");
    return c.json({ calls: account.calls, max_in_flight: account.maxInFlight, window_used: account.window?.used(now()) ?? null }, 200);
  });
  control.get("/state", (c) => {
    const account = c.get("account");
    return c.json({ owner_id: account.ownerId, credentials: account.sorted().map((s) => wire(c, s)), faults: account.faults.pending() }, 200);
  });
  control.get("/tokens", (c) => c.json({ tokens: c.get("account").tokenMap() }, 200));
  app.route("/__emulator", control);

  const controlFor = (apiKey: string): AccountControl => {
    const account = accountFor(apiKey);
    const base = fixedBase ?? "http://ngrok-emulator.invalid";
    return {
      ownerId: account.ownerId,
      addFaults: (...faults) => account.addFaults(faults),
      clearFaults: () => account.faults.clear(),
      pendingFaults: () => account.faults.pending(),
      reset: () => account.reset(),
      seed: (items) => seed(account, items, base),
      calls: () => account.calls.map((r) => ({ ...r })),
      maxInFlight: () => account.maxInFlight,
      windowUsed: () => account.window?.used(now()) ?? null,
      credentials: () => account.sorted().map((s) => toWire(s, base, null)),
      tokens: () => account.tokenMap(),
    };
  };

  return {
    app,
    fetch: async (request) => app.fetch(request),
    account: controlFor,
  };
}
