// The Durable Object's SQLite schema and the small helpers every table accessor shares (byte caps included).
import { cutUtf8, utf8Bytes } from "../ownership/marker.js";

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue (key TEXT PRIMARY KEY, request TEXT NOT NULL, enqueued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, cause TEXT NOT NULL, mode TEXT NOT NULL, sha TEXT, pr INTEGER, delivery TEXT, actor TEXT,
  status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT, plan_text TEXT NOT NULL DEFAULT '',
  outcomes TEXT NOT NULL DEFAULT '[]', errors TEXT NOT NULL DEFAULT '[]', api_calls TEXT NOT NULL DEFAULT '{"ngrok":0,"github":0}');
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id INTEGER, kind TEXT NOT NULL, cause TEXT, sha TEXT, delivery TEXT,
  actor TEXT, name TEXT, action TEXT, result TEXT NOT NULL, operation_id TEXT, detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS audit_name ON audit (name, id);
CREATE INDEX IF NOT EXISTS audit_sha ON audit (sha, id);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS intents (nonce TEXT PRIMARY KEY, name TEXT NOT NULL, opened_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blob_use (sha TEXT PRIMARY KEY, used_at TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivered (key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS token_index (name TEXT PRIMARY KEY, id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS run_sources (path TEXT PRIMARY KEY, content TEXT NOT NULL, sha TEXT);
CREATE TABLE IF NOT EXISTS run_live (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_changes (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_results (round INTEGER NOT NULL, idx INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (round, idx));
DROP TABLE IF EXISTS run_outcomes;
`;

export type Row = Record<string, SqlStorageValue>;

/**
 * Durable Object SQLite refuses a string, a blob or a whole row over 2 MB (SQLITE_TOOBIG), counted in UTF-8 bytes,
 * not in JavaScript's UTF-16 units (a CJK character is one unit and three bytes). Every text that can grow is
 * capped in bytes below it; the caps of one row add up to less than the limit.
 */
export const MAX_VALUE_BYTES = 2_000_000;
/** A run's plan text (runs.plan_text, and the run's audit entry). */
export const PLAN_TEXT_MAX_BYTES = 1_000_000;
/** A run's outcome lines as JSON (runs.outcomes): one audit entry per change holds each in full. */
export const OUTCOMES_MAX_BYTES = 400_000;
/** A run's error lines as JSON (runs.errors, and the run's audit entry). */
export const ERRORS_MAX_BYTES = 200_000;
/** An audit entry's detail as JSON (a run's holds its plan text and errors, escaped: room for both). */
export const DETAIL_MAX_BYTES = 1_800_000;

/** `text` in at most `maxBytes` bytes of UTF-8, cut between characters, saying where and why when cut. */
export function clipText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = utf8Bytes(text);
  if (bytes <= maxBytes) return text;
  const note = `\n…(cut at ${maxBytes} of ${bytes} bytes of UTF-8 to fit the Durable Object's storage)`;
  return cutUtf8(text, maxBytes - utf8Bytes(note)) + note;
}

/** The JSON of `items`: the first ones while the JSON stays within `maxBytes`; `dropped` counts the rest. */
export function fitList<T>(items: readonly T[], maxBytes: number): { json: string; dropped: number } {
  const json = JSON.stringify(items);
  if (json.length * 3 <= maxBytes || utf8Bytes(json) <= maxBytes) return { json, dropped: 0 };
  const kept: string[] = [];
  let used = 2;
  for (const item of items) {
    const one = JSON.stringify(item) ?? "null";
    const cost = utf8Bytes(one) + 1;
    if (used + cost > maxBytes) break;
    kept.push(one);
    used += cost;
  }
  return { json: `[${kept.join(",")}]`, dropped: items.length - kept.length };
}

/** A run's error lines within ERRORS_MAX_BYTES: each cut to a readable length, the first ones kept, the rest counted. */
export function fitErrors(errors: readonly string[]): string[] {
  const lines = errors.map((error) => clipText(error, 20_000));
  const { json, dropped } = fitList(lines, ERRORS_MAX_BYTES - 200);
  const kept = JSON.parse(json) as string[];
  return dropped > 0 ? [...kept, `…and ${dropped} more errors, not stored (the Durable Object's size limit)`] : kept;
}

/** The JSON of `value` in at most `maxBytes`: when over, an object saying so, holding the JSON's head as text. */
export function capJson(value: unknown, maxBytes: number): string {
  const json = JSON.stringify(value);
  if (json.length * 3 <= maxBytes || utf8Bytes(json) <= maxBytes) return json;
  // Escaping the head as a JSON string can double it (quotes, backslashes): half the room is kept for that.
  return JSON.stringify({ truncated: true, bytes: utf8Bytes(json), head: cutUtf8(json, Math.floor(maxBytes / 2) - 100) });
}

export function now(): string {
  return new Date().toISOString();
}

export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString();
}

export function str(value: SqlStorageValue | undefined): string {
  if (typeof value !== "string") throw new Error(`internal: expected a text column, got ${typeof value}`);
  return value;
}

export function strOrNull(value: SqlStorageValue | undefined): string | null {
  return value === null || value === undefined ? null : str(value);
}

export function num(value: SqlStorageValue | undefined): number {
  if (typeof value !== "number") throw new Error(`internal: expected a number column, got ${typeof value}`);
  return value;
}

export function numOrNull(value: SqlStorageValue | undefined): number | null {
  return value === null || value === undefined ? null : num(value);
}
