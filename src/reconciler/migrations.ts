// Ordered migrations of the Durable Object's SQLite: the schema_version row says how many have run; each runs once, in order.
import { now, num } from "./sql.js";

export interface Migration {
  version: number;
  /** Why the schema changed (kept for whoever reads the history). */
  why: string;
  up(sql: SqlStorage): void;
}

/**
 * The tables as the first versioned schema found them. An object from before versions has them already, in some
 * earlier shape (CREATE IF NOT EXISTS keeps its rows); the migrations after it bring every such shape to the current one.
 */
const BASE = `
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
`;

function columns(sql: SqlStorage, table: string): Set<string> {
  return new Set(sql.exec("SELECT name FROM pragma_table_info(?)", table).toArray().map((row) => String(row.name)));
}

/** Adds a column unless an unversioned object already added it (the ad-hoc ALTERs these migrations replace). */
function addColumn(sql: SqlStorage, table: string, column: string, type: string): boolean {
  if (columns(sql, table).has(column)) return false;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  return true;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, why: "the tables of the first versioned schema", up: (sql) => sql.exec(BASE) },
  { version: 2, why: "a run's outcomes moved to run_results", up: (sql) => sql.exec("DROP TABLE IF EXISTS run_outcomes") },
  { version: 3, why: "delivered keeps GitHub's clock at our write (delivery-guard.ts); older rows are judged by `at`", up: (sql) => void addColumn(sql, "delivered", "written_at", "TEXT") },
  {
    version: 4,
    why: "the caches are capped in bytes: each row counts its UTF-8 bytes (SQLite counts a text cast to a blob in bytes); a blob without a use row counts as used now",
    up(sql) {
      if (addColumn(sql, "spec_cache", "bytes", "INTEGER NOT NULL DEFAULT 0")) sql.exec("UPDATE spec_cache SET bytes = length(CAST(json AS BLOB))");
      if (addColumn(sql, "blob_use", "bytes", "INTEGER NOT NULL DEFAULT 0")) {
        sql.exec("INSERT OR IGNORE INTO blob_use (sha, used_at) SELECT sha, ? FROM blobs", now());
        sql.exec("UPDATE blob_use SET bytes = COALESCE((SELECT length(CAST(content AS BLOB)) FROM blobs WHERE blobs.sha = blob_use.sha), 0)");
      }
    },
  },
  {
    version: 5,
    why: "per pull request and per tree rows of `state` (reviewed:<tree>, plan_comment:<pr>) say when they were written, so retention prunes them",
    up(sql) {
      addColumn(sql, "state", "at", "TEXT");
      sql.exec("UPDATE state SET at = ? WHERE at IS NULL AND (key GLOB 'reviewed:*' OR key GLOB 'plan_comment:*')", now());
    },
  },
  {
    version: 6,
    why: "a plan's deliveries are a row each, like its changes, so the deliver stage reads one without the whole plan; the operator's plan_text is rendered in pieces into run_text (a run in progress restarts: RUN_STATE_VERSION 4)",
    up: (sql) =>
      sql.exec(`CREATE TABLE IF NOT EXISTS run_deliveries (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_text (idx INTEGER PRIMARY KEY, text TEXT NOT NULL, changes INTEGER NOT NULL, bytes INTEGER NOT NULL);`),
  },
  {
    version: 7,
    why: "the listing of the kinds beside credentials moved from the run state (rewritten at every step) to its own table, read a slice at a time",
    up: (sql) => sql.exec("CREATE TABLE IF NOT EXISTS run_kind_live (list TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (list, id))"),
  },
];

/** The tables of the current schema (a migration that adds or drops one changes this list, and retention.ts must say how it is bounded). */
export const TABLES = [
  "schema_version",
  "queue",
  "runs",
  "audit",
  "intents",
  "deliveries",
  "blobs",
  "blob_use",
  "state",
  "delivered",
  "token_index",
  "spec_cache",
  "run_sources",
  "run_live",
  "run_kind_live",
  "run_changes",
  "run_deliveries",
  "run_text",
  "run_results",
] as const;
export type Table = (typeof TABLES)[number];

/** The schema this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Runs the migrations the object has not had, in order, each with its version bump. The Durable Object commits the
 * writes of one synchronous stretch together, so a migration and its bump are kept or lost as one. An object from
 * before versions counts as version 0. A newer version (a rollback deploy) is left as is: migrations only add.
 * Returns the version the object is at.
 */
export function migrate(sql: SqlStorage): number {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, migrated_at TEXT NOT NULL)");
  const row = sql.exec("SELECT version FROM schema_version WHERE id = 1").toArray()[0];
  let version = row ? num(row.version) : 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= version) continue;
    migration.up(sql);
    sql.exec("INSERT INTO schema_version (id, version, migrated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at", migration.version, now());
    version = migration.version;
  }
  return version;
}
