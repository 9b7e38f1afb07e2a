// The run queue: requests coalesce by the pure rule of run/coalesce.ts; applies run before plans.
import { coalesce, nextQueued, queueKey } from "../run/coalesce.js";
import type { Caller, RunRequest } from "../run/types.js";
import { PersistedDataError, queuedSchema, readJson } from "./persisted.js";
import { now, str, type Row } from "./sql.js";

/** A queued job: a run, or a key rewrap (which never runs beside a run). */
export type Job = { kind: "run"; request: RunRequest } | { kind: "rewrap"; actor: string; caller?: Caller };

export interface QueueEntry {
  key: string;
  job: Job;
  at: string;
}

const REWRAP_KEY = "rewrap";

export class QueueTable {
  constructor(
    private readonly sql: SqlStorage,
    /** Told of each entry that does not read back: it cannot run, so it leaves the queue (see #entry). */
    private readonly onInvalid: (error: PersistedDataError) => void = () => undefined,
  ) {}

  /** Queues a run request, coalescing with the pending request of the same key; returns the key. */
  enqueue(request: RunRequest): string {
    const key = queueKey(request);
    const pending = this.get(key);
    const merged = pending?.job.kind === "run" ? coalesce(pending.job.request, request) : request;
    this.put(key, { kind: "run", request: merged });
    return key;
  }

  enqueueRewrap(actor: string, caller?: Caller): string {
    this.put(REWRAP_KEY, { kind: "rewrap", actor, ...(caller ? { caller } : {}) });
    return REWRAP_KEY;
  }

  next(): QueueEntry | null {
    const all = this.list();
    // A rewrap goes between runs, ahead of everything: it is short and bounded.
    const rewrap = all.find((e) => e.key === REWRAP_KEY);
    if (rewrap) return rewrap;
    return nextQueued(all);
  }

  /** Removes an entry only if it still holds the job that ran (a newer one may have replaced it meanwhile). */
  remove(key: string, job: Job): void {
    const legacy = job.kind === "run" ? JSON.stringify(job.request) : "";
    this.sql.exec("DELETE FROM queue WHERE key = ? AND (request = ? OR request = ?)", key, JSON.stringify(job), legacy);
  }

  list(): QueueEntry[] {
    return this.sql
      .exec("SELECT key, request, enqueued_at FROM queue ORDER BY enqueued_at, key")
      .toArray()
      .flatMap((row) => this.#entry(row) ?? []);
  }

  private get(key: string): QueueEntry | null {
    const row = this.sql.exec("SELECT key, request, enqueued_at FROM queue WHERE key = ?", key).toArray()[0];
    return row ? this.#entry(row) : null;
  }

  /** The row as an entry; one that does not read back is removed and reported, so it does not stop the queue behind it. */
  #entry(row: Row): QueueEntry | null {
    const key = str(row.key);
    try {
      return { key, job: parseJob(key, str(row.request)), at: str(row.enqueued_at) };
    } catch (error) {
      if (!(error instanceof PersistedDataError)) throw error;
      this.sql.exec("DELETE FROM queue WHERE key = ?", key);
      this.onInvalid(error);
      return null;
    }
  }

  private put(key: string, job: Job): void {
    // The entry keeps its place in the queue (enqueued_at of the first request).
    this.sql.exec("INSERT INTO queue (key, request, enqueued_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET request = excluded.request", key, JSON.stringify(job), now());
  }
}

/** Entries written before jobs had a kind held the bare request. */
function parseJob(key: string, text: string): Job {
  const value = readJson<Job | RunRequest>(queuedSchema, text, { table: "queue", key });
  return "kind" in value ? value : { kind: "run", request: value };
}
