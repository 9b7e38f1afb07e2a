// How each table of the Durable Object's SQLite stays bounded: pruned by age or count, or emptied by the lifecycle of what it holds.
import type { Table } from "./migrations.js";

/**
 * One rule per table (a record: a table without a rule does not compile). "Age" rules run in ReconcilerStorage.prune,
 * at most once a day; the others hold a bounded set by construction and are emptied by what they track.
 */
export const RETENTION_RULES: Readonly<Record<Table, string>> = {
  schema_version: "one row (id = 1)",
  queue: "one entry per queue key (a pull request, push, cron, manual, rewrap); removed when its run is recorded",
  runs: "age: finished runs older than the runs' age go, the newest 100 are always kept",
  audit: "age: entries older than AUDIT_RETENTION_DAYS",
  intents: "closed once a create's token is stored, or by the plan as stale; an open one marks an orphan the next plan deletes",
  deliveries: "count: the newest WEBHOOK_IDS_KEPT webhook delivery ids, trimmed on every insert",
  blobs: "age and bytes: a blob goes with its blob_use row",
  blob_use: "age: unused for the caches' age; bytes: BLOB_CACHE_MAX_BYTES, the oldest used first",
  state: "named keys (StateValues) and the active run's pieces; age: reviewed:<tree> and plan_comment:<pr> not written for the runs' age",
  delivered: "one row per delivered target and credential; forgotten when the target is undelivered or found gone",
  token_index: "one row per credential with a stored token; removed when its credential is deleted",
  spec_cache: "age: unused for the caches' age; bytes: SPEC_CACHE_MAX_BYTES, the oldest used first",
  run_sources: "the active run's: cleared when it ends",
  run_live: "the active run's: cleared when it ends",
  run_kind_live: "the active run's: cleared when it ends (and when a round lists afresh)",
  run_changes: "the active run's: cleared when it ends",
  run_deliveries: "the active run's: cleared when it ends",
  run_text: "the active run's: cleared when it ends (and when a new round saves its plan)",
  run_results: "the active run's: cleared when it ends",
};
