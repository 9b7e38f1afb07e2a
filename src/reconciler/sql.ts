// The small helpers every table accessor of the Durable Object's SQLite shares (byte caps included); the schema is in migrations.ts.
import { cutUtf8, utf8Bytes } from "../ownership/marker.js";

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
