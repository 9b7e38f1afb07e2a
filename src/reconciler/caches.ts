// Spec blobs by git SHA and parsed files by key, each capped in UTF-8 bytes per repository (the oldest used go first) and pruned by age.
import type { FileCache, FileResult } from "../desired/load.js";
import type { BlobCache } from "../github/specs.js";
import { utf8Bytes } from "../ownership/marker.js";
import { fileResultSchema, PersistedDataError, readJson } from "./persisted.js";
import { daysAgo, MAX_VALUE_BYTES, now, num, str } from "./sql.js";

/**
 * Bytes the cached blobs of this repository (one Durable Object) may take. Above one run's largest read (4 MiB of
 * specs, the policy file and the base branch's: 6 MiB), so a run's own blobs, the most recently used, are never
 * evicted while it reads them over several invocations.
 */
export const BLOB_CACHE_MAX_BYTES = 8 * 1024 * 1024;
/** Bytes the parsed files may take (their JSON is about 2.5 times the YAML). An evicted file is parsed again. */
export const SPEC_CACHE_MAX_BYTES = 12 * 1024 * 1024;

/** What an eviction leaves of a cap: room for the next puts, so a full cache is not sorted on every put. */
const LOW_WATER = 0.75;

/** One byte-capped table: `key` column, `bytes` and `used_at`; the newest used rows are kept within the cap. */
class ByteCap {
  #total: number | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly table: "blob_use" | "spec_cache",
    private readonly key: "sha" | "key",
    private readonly max: number,
    /** Removes rows evicted from `table` from the tables that go with it. */
    private readonly after: () => void = () => undefined,
  ) {}

  /** Counts a row just added; evicts the oldest used down to LOW_WATER of the cap when over it. */
  added(bytes: number): void {
    this.#total = (this.#total ?? Number(this.sql.exec(`SELECT COALESCE(SUM(bytes), 0) AS n FROM ${this.table}`).one().n)) + bytes;
    if (this.#total <= this.max) return;
    const keep = Math.floor(this.max * LOW_WATER);
    this.sql.exec(`DELETE FROM ${this.table} WHERE ${this.key} IN (SELECT ${this.key} FROM (SELECT ${this.key}, SUM(bytes) OVER (ORDER BY used_at DESC, ${this.key} DESC) AS kept FROM ${this.table}) WHERE kept > ?)`, keep);
    this.after();
    this.#total = null;
  }

  /** Rows were removed behind this counter's back (pruning): count again when next needed. */
  forget(): void {
    this.#total = null;
  }
}

/** Spec blobs by git SHA (content-addressed) and parsed files by blob SHA: capped in bytes, and pruned when unused for `days`. */
export class Caches {
  readonly #blobs: ByteCap;
  readonly #specs: ByteCap;

  constructor(private readonly sql: SqlStorage) {
    this.#blobs = new ByteCap(sql, "blob_use", "sha", BLOB_CACHE_MAX_BYTES, () => sql.exec("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM blob_use)"));
    this.#specs = new ByteCap(sql, "spec_cache", "key", SPEC_CACHE_MAX_BYTES);
  }

  blobs(): BlobCache {
    const { sql } = this;
    const cap = this.#blobs;
    return {
      async get(sha: string) {
        const row = sql.exec("SELECT content FROM blobs WHERE sha = ?", sha).toArray()[0];
        if (!row) return null;
        sql.exec("UPDATE blob_use SET used_at = ? WHERE sha = ?", now(), sha);
        return str(row.content);
      },
      async put(sha: string, content: string) {
        const bytes = utf8Bytes(content);
        // A blob is at most 1 MiB (the spec limits): it always fits one value.
        const added = sql.exec("INSERT OR IGNORE INTO blobs (sha, content) VALUES (?, ?)", sha, content).rowsWritten > 0;
        sql.exec("INSERT INTO blob_use (sha, used_at, bytes) VALUES (?, ?, ?) ON CONFLICT (sha) DO UPDATE SET used_at = excluded.used_at, bytes = excluded.bytes", sha, now(), bytes);
        if (added) cap.added(bytes);
      },
    };
  }

  specs(): FileCache {
    const { sql } = this;
    const cap = this.#specs;
    return {
      get(key: string) {
        const row = sql.exec("SELECT json FROM spec_cache WHERE key = ?", key).toArray()[0];
        if (!row) return undefined;
        try {
          const result = readJson<FileResult>(fileResultSchema, str(row.json), { table: "spec_cache", key });
          sql.exec("UPDATE spec_cache SET used_at = ? WHERE key = ?", now(), key);
          return result;
        } catch (error) {
          // A cache row is only a copy: the bad one goes (the file is parsed again next time), and the run that met it says so.
          if (error instanceof PersistedDataError) {
            sql.exec("DELETE FROM spec_cache WHERE key = ?", key);
            cap.forget();
          }
          throw error;
        }
      },
      has(key: string) {
        return sql.exec("SELECT 1 AS n FROM spec_cache WHERE key = ?", key).toArray().length > 0;
      },
      bytes(key: string) {
        const row = sql.exec("SELECT bytes FROM spec_cache WHERE key = ?", key).toArray()[0];
        return row ? num(row.bytes) : undefined;
      },
      set(key: string, result: FileResult) {
        const json = JSON.stringify(result);
        const bytes = utf8Bytes(json);
        // A value over the SQLite limit is simply not cached (the file is parsed again when next read).
        if (bytes > MAX_VALUE_BYTES / 2) return;
        // A key written again (a file's last version) replaces its bytes.
        const before = num(sql.exec("SELECT COALESCE(SUM(bytes), 0) AS n FROM spec_cache WHERE key = ?", key).one().n);
        sql.exec("INSERT OR REPLACE INTO spec_cache (key, json, used_at, bytes) VALUES (?, ?, ?, ?)", key, json, now(), bytes);
        cap.added(bytes - before);
      },
    };
  }

  /** Bytes each cache holds now. */
  bytes(): { blobs: number; specs: number } {
    const sum = (table: string) => Number(this.sql.exec(`SELECT COALESCE(SUM(bytes), 0) AS n FROM ${table}`).one().n);
    return { blobs: sum("blob_use"), specs: sum("spec_cache") };
  }

  prune(days: number): void {
    const before = daysAgo(days);
    this.sql.exec("DELETE FROM spec_cache WHERE used_at < ?", before);
    this.sql.exec("DELETE FROM blob_use WHERE used_at < ?", before);
    this.sql.exec("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM blob_use)");
    this.#blobs.forget();
    this.#specs.forget();
  }
}
