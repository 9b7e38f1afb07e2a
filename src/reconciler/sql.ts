// The Durable Object's SQLite schema and the small helpers every table accessor shares.

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
CREATE TABLE IF NOT EXISTS blob_use (sha TEXT PRIMARY KEY, used_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivered (key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS token_index (name TEXT PRIMARY KEY, id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_sources (path TEXT PRIMARY KEY, content TEXT NOT NULL, sha TEXT);
CREATE TABLE IF NOT EXISTS run_live (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_changes (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_results (round INTEGER NOT NULL, idx INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (round, idx));
DROP TABLE IF EXISTS run_outcomes;
`;

export type Row = Record<string, SqlStorageValue>;

/** SQLite values in Durable Objects are capped at 2 MB; a plan for tens of thousands of changes is cut, saying so. */
export const MAX_TEXT = 1_000_000;

export function capText(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  if (text.startsWith("{")) return JSON.stringify({ truncated: true, length: text.length, head: text.slice(0, MAX_TEXT - 200) });
  return `${text.slice(0, MAX_TEXT)}\n…(cut at ${MAX_TEXT} characters of ${text.length})`;
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
