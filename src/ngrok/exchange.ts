// One HTTP exchange with ngrok's API under a timeout, and an error answer read as a typed NgrokApiError (the API key redacted).
import { NgrokApiError, type NgrokOperation } from "./errors.js";
import { parseErrorBody } from "./parse.js";

/** One-argument fetch: global fetch and a hono app's `app.fetch` both fit. */
export type FetchLike = (request: Request) => Promise<Response> | Response;

/** An answer (body read), or why none came: failures to get an answer are values, not throws. */
export type Attempt = { kind: "response"; status: number; headers: Headers; text: string } | { kind: "network"; reason: "timeout" | "connection"; cause: unknown };

const USER_AGENT = "ngrok-gitops";

export interface ExchangeOptions {
  fetch: FetchLike;
  apiKey: string;
  /** Per attempt, covering the answer and its body. */
  timeoutMs: number;
}

/** One HTTP exchange under the timeout, body included. */
export async function exchange(options: ExchangeOptions, method: string, url: string, body: unknown): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("ngrok client timeout")), options.timeoutMs);
  const headers = new Headers({ Authorization: `Bearer ${options.apiKey}`, "Ngrok-Version": "2", "User-Agent": USER_AGENT, Accept: "application/json" });
  if (body !== undefined) headers.set("Content-Type", "application/json");
  try {
    const request = new Request(url, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: controller.signal });
    // Racing the abort covers fetch stand-ins (an in-process app.fetch) that ignore the signal.
    const aborted = rejectOnAbort(controller.signal);
    aborted.catch(() => {});
    const response = await Promise.race([Promise.resolve().then(() => options.fetch(request)), aborted]);
    const text = await Promise.race([response.text(), aborted]);
    return { kind: "response", status: response.status, headers: response.headers, text };
  } catch (cause) {
    return { kind: "network", reason: controller.signal.aborted ? "timeout" : "connection", cause };
  } finally {
    clearTimeout(timer);
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/** ngrok's error_code from an error body, or null. */
export function errorCodeOf(text: string): string | null {
  try {
    const code = (JSON.parse(text) as { error_code?: unknown } | null)?.error_code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/** `text` with the API key cut out. */
export function redact(text: string, apiKey: string): string {
  return apiKey === "" ? text : text.split(apiKey).join("[REDACTED]");
}

/** An error answer as NgrokApiError: ngrok's code, message and operation id, or a hint when the answer is not ngrok's. */
export function apiError(op: NgrokOperation, result: { status: number; headers: Headers; text: string }, outcomeUnknown: boolean, context: { apiKey: string; baseUrl: string }): NgrokApiError {
  let parsed: ReturnType<typeof parseErrorBody>;
  try {
    parsed = parseErrorBody(JSON.parse(result.text) as unknown);
  } catch {
    parsed = undefined;
  }
  const headerOpId = result.headers.get("Ngrok-Operation-Id");
  const opId = parsed?.details.operation_id || headerOpId || null;
  const type = result.headers.get("Content-Type") ?? "no content type";
  // Not ngrok's error body (an HTML 404, a proxy's page): most often NGROK_API_URL points somewhere else.
  const msg = parsed !== undefined ? redact(parsed.msg, context.apiKey) : `the answer is not from the ngrok API (${redact(type, context.apiKey)}); check NGROK_API_URL (${context.baseUrl})`;
  return new NgrokApiError(op, result.status, parsed?.error_code || null, msg, opId, outcomeUnknown);
}
