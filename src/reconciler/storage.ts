// The Durable Object's SQLite tables: queue, runs, audit log, intents, delivery ids, blob cache, state.
import type { DeliveryRecord, Intent, Plan } from "../plan/types.js";
import type { ChangeOutcome, IntentLog } from "../apply/types.js";
import type { Credential } from "../ngrok/types.js";
import type { FileCache, FileResult } from "../spec/load.js";
import type { SpecSource } from "../spec/types.js";
import type { ActiveRun } from "./execute.js";
import type { BlobCache } from "../github/specs.js";
import type { AuditEntry, AuditQuery, OutcomeInfo, RunInfo, RunRequest, RunStatus } from "./types.js";

const SCHEMA = `
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
CREATE TABLE IF NOT EXISTS intents (nonce TEXT PRIMARY KEY, name TEXT NOT NULL, opened_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivered (key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_sources (path TEXT PRIMARY KEY, content TEXT NOT NULL, sha TEXT);
CREATE TABLE IF NOT EXISTS run_live (id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_changes (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_outcomes (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
`;

type Row = Record<string, SqlStorageValue>;

export class ReconcilerStorage {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Records a delivery id; false when it was seen before (GitHub redelivers). Keeps the last 10,000. */
  rememberDelivery(id: string): boolean {
    const seen = this.sql.exec("SELECT 1 FROM deliveries WHERE id = ?", id).toArray().length > 0;
    if (seen) return false;
    this.sql.exec("INSERT INTO deliveries (id, received_at) VALUES (?, ?)", id, now());
    this.sql.exec("DELETE FROM deliveries WHERE id NOT IN (SELECT id FROM deliveries ORDER BY received_at DESC LIMIT 10000)");
    return true;
  }

  /** Queued requests coalesce by key: a newer request for the same key replaces the older one (keeping asked-for rotations). */
  enqueue(key: string, request: RunRequest): void {
    const pending = this.sql.exec<{ request: string }>("SELECT request FROM queue WHERE key = ?", key).toArray()[0];
    const earlier = pending ? (JSON.parse(pending.request) as RunRequest).rotate ?? [] : [];
    if (earlier.length > 0) request = { ...request, rotate: [...new Set([...earlier, ...(request.rotate ?? [])])] };
    this.sql.exec(
      "INSERT INTO queue (key, request, enqueued_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET request = excluded.request",
      key,
      JSON.stringify(request),
      now(),
    );
  }

  nextQueued(): { key: string; request: RunRequest } | null {
    const row = this.sql.exec<{ key: string; request: string }>("SELECT key, request FROM queue ORDER BY enqueued_at, key LIMIT 1").toArray()[0];
    return row ? { key: row.key, request: JSON.parse(row.request) as RunRequest } : null;
  }

  /** Removes a queue entry only if it still holds the request that ran (a newer one may have replaced it meanwhile). */
  dequeue(key: string, request: RunRequest): void {
    this.sql.exec("DELETE FROM queue WHERE key = ? AND request = ?", key, JSON.stringify(request));
  }

  queued(): { key: string; request: RunRequest }[] {
    return this.sql
      .exec<{ key: string; request: string }>("SELECT key, request FROM queue ORDER BY enqueued_at, key")
      .toArray()
      .map((row) => ({ key: row.key, request: JSON.parse(row.request) as RunRequest }));
  }

  startRun(request: RunRequest): number {
    // A run still marked running was cut off (eviction, crash): say so rather than leave it running forever.
    this.sql.exec("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", now());
    const row = this.sql
      .exec<{ id: number }>(
        "INSERT INTO runs (cause, mode, sha, pr, delivery, actor, status, started_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?) RETURNING id",
        request.cause,
        request.mode,
        request.sha ?? null,
        request.pr ?? null,
        request.delivery ?? null,
        request.actor ?? null,
        now(),
      )
      .one();
    return row.id;
  }

  finishRun(
    id: number,
    result: { status: RunStatus; sha?: string | null; summary?: RunInfo["summary"]; plan_text?: string; outcomes?: OutcomeInfo[]; errors?: string[]; api_calls?: RunInfo["api_calls"] },
  ): void {
    this.sql.exec(
      "UPDATE runs SET status = ?, sha = COALESCE(?, sha), finished_at = ?, summary = ?, plan_text = ?, outcomes = ?, errors = ?, api_calls = ? WHERE id = ?",
      result.status,
      result.sha ?? null,
      now(),
      result.summary ? JSON.stringify(result.summary) : null,
      capText(result.plan_text ?? ""),
      JSON.stringify(result.outcomes ?? []),
      JSON.stringify(result.errors ?? []),
      JSON.stringify(result.api_calls ?? { ngrok: 0, github: 0 }),
      id,
    );
  }

  run(id: number): RunInfo | null {
    const row = this.sql.exec<Row>("SELECT * FROM runs WHERE id = ?", id).toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  currentRun(): RunInfo | null {
    const row = this.sql.exec<Row>("SELECT * FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1").toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  lastRun(): RunInfo | null {
    const row = this.sql.exec<Row>("SELECT * FROM runs WHERE status != 'running' ORDER BY id DESC LIMIT 1").toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  audit(entry: Omit<AuditEntry, "id" | "at">): void {
    this.sql.exec(
      "INSERT INTO audit (at, run_id, kind, cause, sha, delivery, actor, name, action, result, operation_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      now(),
      entry.run_id,
      entry.kind,
      entry.cause,
      entry.sha,
      entry.delivery,
      entry.actor,
      entry.name,
      entry.action,
      entry.result,
      entry.operation_id,
      capText(JSON.stringify(entry.detail)),
    );
  }

  queryAudit(query: AuditQuery): { entries: AuditEntry[]; next_before: number | null } {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (query.name) (where.push("name = ?"), args.push(query.name));
    if (query.sha) (where.push("(sha = ? OR sha LIKE ?)"), args.push(query.sha, `${query.sha}%`));
    if (query.kind) (where.push("kind = ?"), args.push(query.kind));
    if (query.since) (where.push("at >= ?"), args.push(query.since));
    if (query.until) (where.push("at < ?"), args.push(query.until));
    if (query.before) (where.push("id < ?"), args.push(query.before));
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${limit + 1}`;
    const rows = this.sql.exec<Row>(sql, ...args).toArray();
    const entries = rows.slice(0, limit).map(toAuditEntry);
    return { entries, next_before: rows.length > limit ? (entries[entries.length - 1]?.id ?? null) : null };
  }

  getState(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM state WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  setState(key: string, value: string): void {
    this.sql.exec("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  // The run in progress, kept between invocations: its state, spec sources, live listing, plan and outcomes.

  saveActive(active: ActiveRun): void {
    this.setState("active", JSON.stringify(active));
  }

  loadActive(): ActiveRun | null {
    const text = this.getState("active");
    return text ? (JSON.parse(text) as ActiveRun) : null;
  }

  clearActive(): void {
    this.sql.exec("DELETE FROM state WHERE key IN ('active', 'active_plan')");
    for (const table of ["run_sources", "run_live", "run_changes", "run_outcomes"]) this.sql.exec(`DELETE FROM ${table}`);
  }

  saveSources(sources: readonly SpecSource[]): void {
    this.sql.exec("DELETE FROM run_sources");
    for (const source of sources) this.sql.exec("INSERT INTO run_sources (path, content, sha) VALUES (?, ?, ?)", source.path, source.content, source.sha ?? null);
  }

  loadSources(): SpecSource[] {
    return this.sql
      .exec<{ path: string; content: string; sha: string | null }>("SELECT path, content, sha FROM run_sources ORDER BY path")
      .toArray()
      .map((row) => (row.sha ? { path: row.path, content: row.content, sha: row.sha } : { path: row.path, content: row.content }));
  }

  clearLive(): void {
    this.sql.exec("DELETE FROM run_live");
  }

  addLive(credentials: readonly Credential[]): void {
    for (const credential of credentials) this.sql.exec("INSERT OR REPLACE INTO run_live (id, json) VALUES (?, ?)", credential.id, JSON.stringify(credential));
  }

  loadLive(): Credential[] {
    return this.sql.exec<{ json: string }>("SELECT json FROM run_live").toArray().map((row) => JSON.parse(row.json) as Credential);
  }

  /** One row per change: a plan for thousands of credentials outgrows a single value. */
  savePlan(plan: Plan): void {
    this.sql.exec("DELETE FROM run_changes");
    this.sql.exec("DELETE FROM run_outcomes");
    plan.changes.forEach((change, idx) => this.sql.exec("INSERT INTO run_changes (idx, json) VALUES (?, ?)", idx, JSON.stringify(change)));
    this.setState("active_plan", JSON.stringify({ ...plan, changes: [] }));
  }

  loadPlan(): Plan {
    const meta = JSON.parse(this.getState("active_plan") ?? "null") as Plan | null;
    if (!meta) throw new Error("internal: no plan stored for the active run");
    const changes = this.sql.exec<{ json: string }>("SELECT json FROM run_changes ORDER BY idx").toArray().map((row) => JSON.parse(row.json) as Plan["changes"][number]);
    return { ...meta, changes };
  }

  addOutcomes(from: number, outcomes: readonly ChangeOutcome[]): void {
    outcomes.forEach((outcome, i) => this.sql.exec("INSERT OR REPLACE INTO run_outcomes (idx, json) VALUES (?, ?)", from + i, JSON.stringify(outcome)));
  }

  loadOutcomes(): ChangeOutcome[] {
    return this.sql.exec<{ json: string }>("SELECT json FROM run_outcomes ORDER BY idx").toArray().map((row) => JSON.parse(row.json) as ChangeOutcome);
  }

  /** Where tokens were delivered: which target holds the token of which credential id. */
  delivered(): DeliveryRecord[] {
    return this.sql.exec<{ key: string; name: string; id: string }>("SELECT key, name, id FROM delivered").toArray().map((row) => ({ key: row.key, name: row.name, id: row.id }));
  }

  recordDelivery(record: DeliveryRecord): void {
    this.sql.exec("INSERT OR REPLACE INTO delivered (key, name, id, at) VALUES (?, ?, ?, ?)", record.key, record.name, record.id, now());
  }

  forgetDelivery(key: string, name: string): void {
    this.sql.exec("DELETE FROM delivered WHERE key = ? AND name = ?", key, name);
  }

  intentLog(): IntentLog {
    const sql = this.sql;
    return {
      async open(intent: Intent) {
        sql.exec("INSERT OR REPLACE INTO intents (nonce, name, opened_at) VALUES (?, ?, ?)", intent.nonce, intent.name, now());
      },
      async close(intent: Intent) {
        sql.exec("DELETE FROM intents WHERE nonce = ?", intent.nonce);
      },
      async list() {
        return sql.exec<{ nonce: string; name: string }>("SELECT nonce, name FROM intents").toArray().map((row) => ({ nonce: row.nonce, name: row.name }));
      },
    };
  }

  /** Parsed spec files by blob SHA (see LoadOptions.cache); entries unused for a week are dropped. */
  specCache(): FileCache {
    const sql = this.sql;
    sql.exec("DELETE FROM spec_cache WHERE used_at < ?", new Date(Date.now() - 7 * 86_400_000).toISOString());
    return {
      get(key: string) {
        const row = sql.exec<{ json: string }>("SELECT json FROM spec_cache WHERE key = ?", key).toArray()[0];
        if (!row) return undefined;
        sql.exec("UPDATE spec_cache SET used_at = ? WHERE key = ?", now(), key);
        return JSON.parse(row.json) as FileResult;
      },
      set(key: string, result: FileResult) {
        const json = JSON.stringify(result);
        // A value over the SQLite limit is simply not cached.
        if (json.length < MAX_TEXT) sql.exec("INSERT OR REPLACE INTO spec_cache (key, json, used_at) VALUES (?, ?, ?)", key, json, now());
      },
    };
  }

  blobCache(): BlobCache {
    const sql = this.sql;
    return {
      async get(sha: string) {
        return sql.exec<{ content: string }>("SELECT content FROM blobs WHERE sha = ?", sha).toArray()[0]?.content ?? null;
      },
      async put(sha: string, content: string) {
        sql.exec("INSERT OR REPLACE INTO blobs (sha, content) VALUES (?, ?)", sha, content);
      },
    };
  }
}

/** SQLite values in Durable Objects are capped at 2 MB; a plan for tens of thousands of changes is cut, saying so. */
const MAX_TEXT = 1_000_000;
function capText(text: string): string {
  if (text.length <= MAX_TEXT) return text;
  if (text.startsWith("{")) return JSON.stringify({ truncated: true, length: text.length, head: text.slice(0, MAX_TEXT - 200) });
  return `${text.slice(0, MAX_TEXT)}\n…(cut at ${MAX_TEXT} characters of ${text.length})`;
}

function now(): string {
  return new Date().toISOString();
}

function toRunInfo(row: Row): RunInfo {
  return {
    id: row.id as number,
    cause: row.cause as RunInfo["cause"],
    mode: row.mode as RunInfo["mode"],
    sha: (row.sha as string | null) ?? null,
    pr: (row.pr as number | null) ?? null,
    delivery: (row.delivery as string | null) ?? null,
    actor: (row.actor as string | null) ?? null,
    status: row.status as RunStatus,
    started_at: row.started_at as string,
    finished_at: (row.finished_at as string | null) ?? null,
    summary: row.summary ? (JSON.parse(row.summary as string) as RunInfo["summary"]) : null,
    plan_text: (row.plan_text as string) ?? "",
    outcomes: JSON.parse(row.outcomes as string) as OutcomeInfo[],
    errors: JSON.parse(row.errors as string) as string[],
    api_calls: JSON.parse(row.api_calls as string) as RunInfo["api_calls"],
  };
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    id: row.id as number,
    at: row.at as string,
    run_id: (row.run_id as number | null) ?? null,
    kind: row.kind as AuditEntry["kind"],
    cause: (row.cause as string | null) ?? null,
    sha: (row.sha as string | null) ?? null,
    delivery: (row.delivery as string | null) ?? null,
    actor: (row.actor as string | null) ?? null,
    name: (row.name as string | null) ?? null,
    action: (row.action as string | null) ?? null,
    result: row.result as string,
    operation_id: (row.operation_id as string | null) ?? null,
    detail: JSON.parse(row.detail as string) as Record<string, unknown>,
  };
}
