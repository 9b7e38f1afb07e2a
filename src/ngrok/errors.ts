// Typed errors of the ngrok API client; none of their messages ever carries the API key.

export type NgrokOperation = `${"credentials" | "service_users" | "api_keys" | "ssh_credentials"}.${"list" | "get" | "create" | "update" | "delete"}`;

/** ngrok answered with an error status. */
export class NgrokApiError extends Error {
  readonly code = "NGROK_API_ERROR";
  constructor(
    readonly operation: NgrokOperation,
    readonly status_code: number,
    /** e.g. "ERR_NGROK_404"; null when the body was not an ngrok error body. */
    readonly error_code: string | null,
    /** ngrok's message, API key redacted. */
    readonly msg: string,
    readonly operation_id: string | null,
    /** True when a non-idempotent call (POST) got a 5xx: it may or may not have taken effect. */
    readonly outcomeUnknown: boolean,
  ) {
    super(`${operation} failed: HTTP ${status_code}${error_code ? ` ${error_code}` : ""}: ${msg}${operation_id ? ` (operation ${operation_id})` : ""}`);
    this.name = "NgrokApiError";
  }
}

/** Why a request got no answer, as far as the runtime tells: what a person checks first differs for each. */
export type NetworkFailureKind = "dns" | "refused" | "tls" | "timeout" | "reset" | "connection";

const KIND_TEXT: Record<NetworkFailureKind, string> = {
  dns: "the host name does not resolve (DNS)",
  refused: "the connection was refused (nothing listens there)",
  tls: "the TLS handshake failed (certificate or protocol)",
  timeout: "no answer before the timeout",
  reset: "the connection was reset before an answer",
  connection: "the connection failed",
};

export interface NetworkErrorDetails {
  cause?: unknown;
  /** host[:port] of the API the client was configured with. */
  host?: string;
  kind?: NetworkFailureKind;
  /** The runtime's own words, e.g. "getaddrinfo ENOTFOUND api.ngrok.invalid" (never the API key). */
  detail?: string;
}

/** The request got no answer: DNS, refused, TLS, reset, or our timeout. The message names the host and points at NGROK_API_URL. */
export class NgrokNetworkError extends Error {
  readonly code = "NGROK_NETWORK_ERROR";
  /** What failed, more precisely than `reason`. */
  readonly kind: NetworkFailureKind;
  readonly host: string | null;
  readonly detail: string | null;
  constructor(
    readonly operation: NgrokOperation,
    readonly reason: "timeout" | "connection",
    /** True for a non-idempotent call (POST): the credential may or may not exist now; reconcile. */
    readonly outcomeUnknown: boolean,
    options: NetworkErrorDetails = {},
  ) {
    const kind = options.kind ?? (reason === "timeout" ? "timeout" : "connection");
    const where = options.host ? ` from ${options.host}` : "";
    const text = kind === "timeout" ? `no answer${where} before the timeout` : `cannot reach ${options.host ?? "the ngrok API"}: ${KIND_TEXT[kind]}`;
    const detail = options.detail ? ` (${options.detail})` : "";
    super(`${operation} failed: ${text}${detail}${outcomeUnknown ? "; the outcome is unknown" : ""}; check NGROK_API_URL`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "NgrokNetworkError";
    this.kind = kind;
    this.host = options.host ?? null;
    this.detail = options.detail ?? null;
  }
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_OSSL_)/;

/**
 * Reads a failed fetch's error (and its causes) for the kind of failure: Node's undici puts an errno-style
 * `code` on the cause; workerd says it in the message. `detail` is the innermost message, shortened.
 */
export function classifyNetworkFailure(error: unknown): { kind: NetworkFailureKind; detail: string | null } {
  const chain: Array<{ code?: unknown; message?: unknown }> = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (typeof e !== "object" || e === null || seen.has(e) || depth > 6) return;
    seen.add(e);
    chain.push(e as { code?: unknown; message?: unknown });
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    visit((e as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  const codes = chain.map((e) => (typeof e.code === "string" ? e.code : "")).filter((c) => c !== "");
  const messages = chain.map((e) => (typeof e.message === "string" ? e.message : "")).filter((m) => m !== "");
  const innermost = [...messages].reverse().find((m) => m !== "fetch failed") ?? messages[0] ?? null;
  const detail = innermost === null ? null : innermost.length > 160 ? `${innermost.slice(0, 157)}...` : innermost;
  const kind = ((): NetworkFailureKind => {
    for (const code of codes) {
      if (DNS_CODES.has(code)) return "dns";
      if (code === "ECONNREFUSED") return "refused";
      if (TLS_CODE.test(code)) return "tls";
      if (TIMEOUT_CODES.has(code)) return "timeout";
      if (RESET_CODES.has(code)) return "reset";
    }
    const text = messages.join(" | ");
    if (/getaddrinfo|ENOTFOUND|EAI_AGAIN|DNS|name not resolved|could not resolve|no such host/i.test(text)) return "dns";
    if (/refused/i.test(text)) return "refused";
    if (/\bTLS\b|\bSSL\b|certificate|handshake/i.test(text)) return "tls";
    if (/timed? ?out/i.test(text)) return "timeout";
    if (/reset|connection lost|socket hang up|closed/i.test(text)) return "reset";
    return "connection";
  })();
  return { kind, detail };
}

/** ngrok answered 2xx with something that is not the documented shape, or paging went in circles. */
export class NgrokProtocolError extends Error {
  readonly code = "NGROK_PROTOCOL_ERROR";
  constructor(
    readonly operation: NgrokOperation,
    detail: string,
  ) {
    super(`${operation}: unexpected response from the ngrok API: ${detail}`);
    this.name = "NgrokProtocolError";
  }
}
