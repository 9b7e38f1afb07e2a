// The Durable Object's SQLite tables, one typed accessor per concern; retention keeps them bounded.
import { AuditTable } from "./audit.js";
import { Caches } from "./caches.js";
import { DeliveredTable, IntentTable, NamedState, TokenIndex, WebhookIds } from "./ledgers.js";
import { QueueTable } from "./queue.js";
import { RunsTable } from "./runs.js";
import { SCRATCH_TABLES, SqlRunScratch } from "./scratch.js";
import { migrate } from "./migrations.js";
import type { PersistedDataError } from "./persisted.js";
import type { RunState } from "../run/state.js";

export interface Retention {
  /** Audit entries older than this many days are dropped (AUDIT_RETENTION_DAYS, default 400). */
  auditDays: number;
  /** Finished runs older than this (the newest 100 are always kept). */
  runDays: number;
  /** Cached spec blobs and parsed files unused for this long. */
  cacheDays: number;
}

export class ReconcilerStorage {
  readonly queue: QueueTable;
  readonly runs: RunsTable;
  readonly audit: AuditTable;
  readonly scratch: SqlRunScratch;
  readonly intents: IntentTable;
  readonly tokens: TokenIndex;
  readonly delivered: DeliveredTable;
  readonly webhooks: WebhookIds;
  readonly caches: Caches;
  readonly state: NamedState;

  constructor(sql: SqlStorage) {
    migrate(sql);
    this.audit = new AuditTable(sql);
    // A queued request that does not read back cannot run: it is dropped, and the audit log says which and why.
    this.queue = new QueueTable(sql, (error) =>
      this.audit.append({ run_id: null, kind: "run", cause: null, sha: null, delivery: null, actor: null, name: null, action: "dequeue", result: "invalid", operation_id: null, detail: { error: `${error.code}: ${error.message}` } }),
    );
    this.runs = new RunsTable(sql);
    this.scratch = new SqlRunScratch(sql);
    this.intents = new IntentTable(sql);
    this.tokens = new TokenIndex(sql);
    this.delivered = new DeliveredTable(sql);
    this.webhooks = new WebhookIds(sql);
    this.caches = new Caches(sql);
    this.state = new NamedState(sql);
  }

  /**
   * The run in progress. A stored state that fails validation (another deploy's, or damaged) is not resumed: its run
   * is marked interrupted with the reason, and its request, still queued, runs again.
   */
  active(): RunState | null {
    const read = this.scratch.read();
    if (read === null) return null;
    if (read.ok) return read.state;
    this.runs.interrupt(`STATE_INVALID: ${read.error}; the run was not resumed, its request runs again`);
    return null;
  }

  /**
   * A run met a persisted value that does not read back. When the value was the run's own (its scratch, its attempt
   * counter) or a cache's (already dropped by the cache), the run is interrupted with the reason and its request,
   * still queued, runs again from the start; returns false otherwise: the caller ends the run interrupted and its
   * request leaves the queue, since it would meet the same row again.
   */
  interruptFor(error: PersistedDataError): boolean {
    const { table, key } = error.at;
    const own = (SCRATCH_TABLES as readonly string[]).includes(table) || table === "spec_cache" || (table === "state" && (/^active(_plan(_head)?)?(#\d+)?$/.test(key) || key === "run_attempts"));
    if (!own) return false;
    this.runs.interrupt(`${error.code}: ${error.message}; the run was not resumed, its request runs again`);
    this.scratch.clear();
    this.state.set("run_attempts", null);
    return true;
  }

  /** Applies the retention policy, at most once a day. */
  prune(retention: Retention): void {
    const last = this.state.get("last_pruned");
    if (last && Date.now() - Date.parse(last) < 86_400_000) return;
    this.audit.prune(retention.auditDays);
    this.runs.prune(retention.runDays);
    this.state.prune(retention.runDays);
    this.caches.prune(retention.cacheDays);
    this.state.set("last_pruned", new Date().toISOString());
  }
}
