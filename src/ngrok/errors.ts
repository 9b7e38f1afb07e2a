// Typed errors of the ngrok API client; none of their messages ever carries the API key.

export type NgrokOperation = "credentials.list" | "credentials.get" | "credentials.create" | "credentials.update" | "credentials.delete";

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

/** The request got no answer: connection reset, DNS, or our timeout. */
export class NgrokNetworkError extends Error {
  readonly code = "NGROK_NETWORK_ERROR";
  constructor(
    readonly operation: NgrokOperation,
    readonly reason: "timeout" | "connection",
    /** True for a non-idempotent call (POST): the credential may or may not exist now; reconcile. */
    readonly outcomeUnknown: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed: ${reason === "timeout" ? "no answer before the timeout" : "connection failed"}${outcomeUnknown ? "; the outcome is unknown" : ""}`, options);
    this.name = "NgrokNetworkError";
  }
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

export type NgrokError = NgrokApiError | NgrokNetworkError | NgrokProtocolError;
