// Shared helpers for the emulator's tests: call the app in process with ngrok's headers.
import type { Emulator } from "./app.js";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

let keys = 0;
/** A fresh bearer key: a fresh, isolated account. */
export const freshKey = (): string => `key_${++keys}_${Math.random().toString(36).slice(2)}`;

export const ORIGIN = "http://emulator.test";

export async function call(
  emulator: Emulator,
  method: string,
  path: string,
  opts: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string>; version?: string | null; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers = new Headers(opts.headers);
  if (opts.key !== null) headers.set("Authorization", `Bearer ${opts.key ?? "k"}`);
  if (opts.version !== null) headers.set("Ngrok-Version", opts.version ?? "2");
  // Raw bodies go as bytes so that fetch adds no Content-Type of its own.
  let body: string | Uint8Array | undefined;
  if (opts.rawBody !== undefined) body = new TextEncoder().encode(opts.rawBody);
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  if (opts.signal !== undefined) init.signal = opts.signal;
  const res = await emulator.fetch(new Request(`${ORIGIN}${path}`, init));
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Narrow an unknown JSON value to a record for assertions. */
export const rec = (v: unknown): Record<string, unknown> => v as Record<string, unknown>;
