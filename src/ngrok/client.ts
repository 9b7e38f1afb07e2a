// fetch-based ngrok credentials API client for Workers: paging, retries, pacing to the account's rate limit, an in-flight cap, typed errors and request stats.
import { NgrokNetworkError, NgrokProtocolError, classifyNetworkFailure, type NgrokOperation } from "./errors.js";
import { apiError, errorCodeOf, exchange, redact, type Attempt, type FetchLike } from "./exchange.js";
import { AccountLimiter, type CallOutcome } from "./limiter.js";
import { listingLoop } from "./paging.js";
import { parseCredential, parseCredentialList } from "./parse.js";
import { NGROK_RATE_LIMIT, type RateLimit } from "./rate-limit.js";
import { fullJitterDelay, retryAfterMs } from "./retry.js";
import { MAX_CONNECTIONS, Semaphore } from "./semaphore.js";
import { MAX_PAGE_LIMIT, type Credential, type CredentialCreate, type CredentialUpdate } from "./types.js";

export type { FetchLike } from "./exchange.js";

export interface NgrokClientOptions {
  /** e.g. https://api.ngrok.com, or the emulator's URL. */
  baseUrl: string;
  apiKey: string;
  fetch?: FetchLike;
  /** Hard cap on requests open at once. Default MAX_CONNECTIONS (what Workers allow). */
  maxInFlight?: number;
  /** Retries after the first attempt (network errors, 5xx). Default 4. */
  maxRetries?: number;
  /**
   * Paces every call to the account's budget. Share one instance across every client of a run (and persist its
   * snapshot() with the run); when omitted the client makes its own from `rateLimit`, on the real clock.
   */
  limiter?: AccountLimiter;
  /** The account's budget for the client's own limiter (ignored with `limiter`). Default 120 per 60 s, ngrok's documented limit. */
  rateLimit?: RateLimit | "off";
  /** Retries of a call refused with 429 (the limiter waits before each). Default 10. */
  maxRateLimitRetries?: number;
  /** Per attempt, covering the answer and its body. Default 30 000. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Backoff base and ceiling (defaults 250 ms, 10 s); Retry-After is honoured up to maxRetryAfterMs (default 60 s). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  maxRetryAfterMs?: number;
  /** Clock for Retry-After HTTP-dates. */
  now?: () => number;
  /** Told of every answer, for the audit log: which call, its status and ngrok's operation id. Never the body. */
  onResponse?: (call: NgrokCall) => void;
}

/** One HTTP answer from ngrok, as the audit log records it. */
export interface NgrokCall {
  operation: NgrokOperation;
  method: string;
  status: number;
  operation_id: string | null;
  /** The credential it concerned: from the path, or from a create's answer. */
  credential_id: string | null;
}

export interface NgrokClientStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests that were retries of an earlier attempt. */
  retries: number;
  /** HTTP requests per operation, e.g. {"credentials.list": 3}. */
  byOperation: Record<string, number>;
}


export class NgrokClient {
  private readonly baseUrl: string;
  private readonly origin: string;
  /** host[:port], for error messages. */
  private readonly host: string;
  private readonly basePath: string;
  private readonly apiKey: string;
  private readonly fetchImpl: FetchLike;
  private readonly gate: Semaphore;
  private readonly maxRetries: number;
  private readonly maxRateLimitRetries: number;
  /** The pacing every call of this client goes through (possibly shared with other clients). */
  readonly limiter: AccountLimiter;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly now: () => number;
  private readonly onResponse: ((call: NgrokCall) => void) | undefined;
  private counters: NgrokClientStats = { requests: 0, retries: 0, byOperation: {} };

  constructor(options: NgrokClientOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.host = base.host;
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.baseUrl = `${this.origin}${this.basePath}`;
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? ((request) => globalThis.fetch(request));
    this.gate = new Semaphore(options.maxInFlight ?? MAX_CONNECTIONS);
    this.maxRetries = options.maxRetries ?? 4;
    this.maxRateLimitRetries = options.maxRateLimitRetries ?? 10;
    this.limiter =
      options.limiter ??
      new AccountLimiter({ rate: options.rateLimit ?? NGROK_RATE_LIMIT, maxConcurrent: options.maxInFlight ?? MAX_CONNECTIONS, ...(options.now ? { now: options.now } : {}), ...(options.sleep ? { sleep: options.sleep } : {}) });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.backoffCapMs = options.backoffCapMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onResponse = options.onResponse;
  }

  /** A copy of the request counters. */
  get stats(): NgrokClientStats {
    return { ...this.counters, byOperation: { ...this.counters.byOperation } };
  }

  resetStats(): void {
    this.counters = { requests: 0, retries: 0, byOperation: {} };
  }

  /** Every credential on the account, following next_page_uri (100 per page) to the end: listPage under the paging rule. */
  async list(): Promise<Credential[]> {
    const out: Credential[] = [];
    const seenIds = new Set<string>();
    const op = "credentials.list";
    const seenPages = new Set([this.onOurOrigin(`${this.baseUrl}/credentials?limit=${MAX_PAGE_LIMIT}`, op)]);
    let cursor: string | null = null;
    for (let pages = 1; ; pages += 1) {
      const page = await this.listPage(cursor);
      for (const credential of page.credentials) {
        if (!seenIds.has(credential.id)) {
          seenIds.add(credential.id);
          out.push(credential);
        }
      }
      if (page.next === null) return out;
      const next = this.onOurOrigin(page.next, op);
      const loop = listingLoop(pages, page.next, seenPages.has(next));
      if (loop !== null) throw new NgrokProtocolError(op, `the listing does not end (${loop})`);
      seenPages.add(next);
      cursor = page.next;
    }
  }

  /**
   * One page of the list, for runs that must spread the listing over several invocations (Workers Free allows
   * 50 subrequests each). `cursor` is null for the first page, then the `next` this returned; next is null at the end.
   */
  async listPage(cursor: string | null): Promise<{ credentials: Credential[]; next: string | null }> {
    const op = "credentials.list";
    const url = cursor === null ? `${this.baseUrl}/credentials?limit=${MAX_PAGE_LIMIT}` : this.onOurOrigin(cursor, op);
    const page = parseCredentialList(await this.call(op, "GET", url));
    if (typeof page === "string") throw new NgrokProtocolError(op, page);
    if (page.next_page_uri !== null && page.credentials.length === 0) throw new NgrokProtocolError(op, "an empty page announced a next page");
    return { credentials: page.credentials, next: page.next_page_uri };
  }

  async get(id: string): Promise<Credential> {
    return this.credential("credentials.get", await this.call("credentials.get", "GET", this.itemUrl(id)));
  }

  /** The only answer that carries the token. A NgrokNetworkError or a 5xx here has outcomeUnknown: reconcile. */
  async create(body: CredentialCreate): Promise<Credential> {
    return this.credential("credentials.create", await this.call("credentials.create", "POST", `${this.baseUrl}/credentials`, body));
  }

  async update(id: string, body: CredentialUpdate): Promise<Credential> {
    return this.credential("credentials.update", await this.call("credentials.update", "PATCH", this.itemUrl(id), body));
  }

  /** A retry after a lost answer may see 404; that surfaces as NgrokApiError 404 for the caller to judge. */
  async delete(id: string): Promise<void> {
    await this.call("credentials.delete", "DELETE", this.itemUrl(id));
  }

  /**
   * One call to any resource path of the API (`/api_keys`, `/api_keys/ak_…?limit=100`, or a next_page_uri), paced,
   * retried and audited like the credential calls; the parsed JSON body (null when empty). src/ngrok/resources.ts
   * drives every other kind through it.
   */
  async send(op: NgrokOperation, method: "GET" | "POST" | "PATCH" | "DELETE", pathOrNext: string, body?: unknown): Promise<unknown> {
    const url = /^https?:\/\//.test(pathOrNext) ? this.onOurOrigin(pathOrNext, op) : `${this.baseUrl}${pathOrNext}`;
    return this.call(op, method, url, body);
  }

  private itemUrl(id: string): string {
    return `${this.baseUrl}/credentials/${encodeURIComponent(id)}`;
  }

  private credential(op: NgrokOperation, data: unknown): Credential {
    const parsed = parseCredential(data);
    if (typeof parsed === "string") throw new NgrokProtocolError(op, parsed);
    return parsed;
  }

  /** Paging never leaves the configured API: a next_page_uri naming another host is rewritten onto ours. */
  private onOurOrigin(next: string, op: NgrokOperation): string {
    let parsed: URL;
    try {
      parsed = new URL(next, `${this.baseUrl}/`);
    } catch {
      throw new NgrokProtocolError(op, "next_page_uri is not a URL");
    }
    const path = this.basePath !== "" && !parsed.pathname.startsWith(`${this.basePath}/`) ? `${this.basePath}${parsed.pathname}` : parsed.pathname;
    return `${this.origin}${path}${parsed.search}`;
  }


  /** Sends with retries and returns the parsed JSON body (null for an empty body). */
  private async call(op: NgrokOperation, method: string, url: string, body?: unknown): Promise<unknown> {
    const idempotent = method !== "POST";
    let failures = 0;
    let throttles = 0;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) this.counters.retries += 1;
      this.counters.requests += 1;
      this.counters.byOperation[op] = (this.counters.byOperation[op] ?? 0) + 1;
      const result = await this.gate.run(() => this.paced(method, url, body));
      const canRetry = failures < this.maxRetries;
      if (result.kind === "network") {
        if (idempotent && canRetry) {
          await this.sleep(this.backoff(failures++));
          continue;
        }
        const failure = result.reason === "timeout" ? { kind: "timeout" as const, detail: `${this.timeoutMs} ms` } : classifyNetworkFailure(result.cause);
        throw new NgrokNetworkError(op, result.reason, !idempotent, { cause: result.cause, host: this.host, kind: failure.kind, ...(failure.detail ? { detail: redact(failure.detail, this.apiKey) } : {}) });
      }
      const pathId = /\/(?:credentials|service_users|bot_users|api_keys|ssh_credentials)\/([^/?]+)/.exec(url)?.[1] ?? null;
      if (result.status >= 200 && result.status < 300) {
        let parsed: unknown = null;
        if (result.text.trim() !== "") {
          try {
            parsed = JSON.parse(result.text) as unknown;
          } catch {
            throw new NgrokProtocolError(op, `HTTP ${result.status} with a body that is not JSON`);
          }
        }
        const bodyId = typeof parsed === "object" && parsed !== null && typeof (parsed as { id?: unknown }).id === "string" ? (parsed as { id: string }).id : null;
        this.onResponse?.({ operation: op, method, status: result.status, operation_id: result.headers.get("Ngrok-Operation-Id"), credential_id: pathId ?? bodyId });
        return parsed;
      }
      this.onResponse?.({ operation: op, method, status: result.status, operation_id: result.headers.get("Ngrok-Operation-Id"), credential_id: pathId });
      // A 429 is a refusal before any work, so even a POST may be sent again; the limiter has already
      // slowed down (and honours Retry-After), so the next acquire is the wait.
      if (result.status === 429 && throttles < this.maxRateLimitRetries) {
        throttles += 1;
        continue;
      }
      if (result.status >= 500 && idempotent && canRetry) {
        await this.sleep(this.backoff(failures++));
        continue;
      }
      throw apiError(op, result, !idempotent && result.status >= 500, { apiKey: this.apiKey, baseUrl: this.baseUrl });
    }
  }

  /** One attempt under the limiter: it waits for room in the account's window and learns from the answer. */
  private async paced(method: string, url: string, body: unknown): Promise<Attempt> {
    const permit = await this.limiter.acquire();
    let outcome: CallOutcome = { status: null };
    try {
      const result = await exchange({ fetch: this.fetchImpl, apiKey: this.apiKey, timeoutMs: this.timeoutMs }, method, url, body);
      if (result.kind === "response") {
        outcome = { status: result.status };
        if (result.status === 429) {
          outcome.errorCode = errorCodeOf(result.text);
          const wait = retryAfterMs(result.headers.get("Retry-After"), this.maxRetryAfterMs, this.now());
          if (wait !== undefined) outcome.retryAfterMs = wait;
        }
      }
      return result;
    } finally {
      permit.done(outcome);
    }
  }

  private backoff(attempt: number): number {
    return fullJitterDelay(attempt, this.backoffBaseMs, this.backoffCapMs, this.random);
  }

}
