// Shared helpers for the fake GitHub's tests: call the app in process with the headers a GitHub client sends.
import type { FakeGitHub } from "./app.js";

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON, or null when the body is empty or not JSON; tests narrow it with `as` to the shape GitHub documents. */
  readonly json: unknown;
}

export const ORIGIN = "http://fake-github.test";

export async function call(
  fake: FakeGitHub,
  method: string,
  path: string,
  opts: { token?: string | null; scheme?: string; body?: unknown; userAgent?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = new Headers(opts.headers);
  if (opts.userAgent !== null) headers.set("User-Agent", opts.userAgent ?? "ngrok-gitops-test");
  if (opts.token !== null && opts.token !== undefined) headers.set("Authorization", `${opts.scheme ?? "token"} ${opts.token}`);
  headers.set("Accept", headers.get("Accept") ?? "application/vnd.github+json");
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers.set("Content-Type", "application/json");
  }
  const res = await fake.app.request(`${ORIGIN}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}
