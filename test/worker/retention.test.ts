// Retention: every table has a rule; audit entries, finished runs, caches and per-tree state are pruned by age, webhook ids by count, a run's scratch when it ends.
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { WEBHOOK_IDS_KEPT } from "../../src/reconciler/ledgers.js";
import { TABLES } from "../../src/reconciler/migrations.js";
import { RETENTION_RULES } from "../../src/reconciler/retention.js";
import { SCRATCH_TABLES } from "../../src/reconciler/scratch.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { admin, freshWorld, reconciler, settle } from "./support.js";

it("every table of the schema is listed, and each has a retention rule", async () => {
  const tables = await runInDurableObject(reconciler(), async (_instance, state) => {
    new ReconcilerStorage(state.storage.sql);
    return state.storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
      .toArray()
      .map((row) => String(row.name));
  });
  expect(tables).toEqual([...TABLES].sort());
  expect(Object.keys(RETENTION_RULES).sort()).toEqual([...TABLES].sort());
});

it("prunes parsed files and blob uses unused for the caches' age, and keeps recent ones", async () => {
  const left = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const storage = new ReconcilerStorage(sql);
    const old = new Date(Date.now() - 60 * 86_400_000).toISOString();
    sql.exec("DELETE FROM spec_cache");
    sql.exec("DELETE FROM blob_use");
    sql.exec("DELETE FROM blobs");
    storage.caches.specs().set("recent", { specs: [], errors: [] });
    storage.caches.specs().set("old", { specs: [], errors: [] });
    sql.exec("UPDATE spec_cache SET used_at = ? WHERE key = 'old'", old);
    await storage.caches.blobs().put("c".repeat(40), "recent");
    await storage.caches.blobs().put("d".repeat(40), "old");
    sql.exec("UPDATE blob_use SET used_at = ? WHERE sha = ?", old, "d".repeat(40));
    sql.exec("DELETE FROM state WHERE key = 'last_pruned'");
    storage.prune({ auditDays: 400, runDays: 90, cacheDays: 30 });
    const keys = (table: string, column: string) => sql.exec(`SELECT ${column} AS k FROM ${table} ORDER BY ${column}`).toArray().map((row) => String(row.k));
    const left = { specs: keys("spec_cache", "key"), uses: keys("blob_use", "sha"), blobs: keys("blobs", "sha"), bytes: storage.caches.bytes() };
    for (const table of ["spec_cache", "blob_use", "blobs"]) sql.exec(`DELETE FROM ${table}`);
    return left;
  });
  expect(left).toMatchObject({ specs: ["recent"], uses: ["c".repeat(40)], blobs: ["c".repeat(40)] });
  expect(left.bytes.blobs).toBe("recent".length);
});

it("keeps the newest WEBHOOK_IDS_KEPT webhook delivery ids", async () => {
  const left = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const storage = new ReconcilerStorage(sql);
    sql.exec("DELETE FROM deliveries");
    sql.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO deliveries (id, received_at) SELECT 'old-' || i, '2020-01-01T00:00:00.000Z' FROM n", WEBHOOK_IDS_KEPT + 5);
    const fresh = storage.webhooks.remember("new");
    return { fresh, count: Number(sql.exec("SELECT COUNT(*) AS n FROM deliveries").one().n), oldest: sql.exec("SELECT id FROM deliveries ORDER BY rowid LIMIT 1").one().id };
  });
  expect(left).toEqual({ fresh: true, count: WEBHOOK_IDS_KEPT, oldest: "old-7" });
});

it("prunes audit entries, finished runs and unused blobs past their age, and keeps the rest", async () => {
  const counts = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const storage = new ReconcilerStorage(sql);
    const old = new Date(Date.now() - 500 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    sql.exec("DELETE FROM audit");
    for (const at of [old, old, recent]) sql.exec("INSERT INTO audit (at, kind, result) VALUES (?, 'run', 'succeeded')", at);
    sql.exec("DELETE FROM runs");
    // 150 finished runs from long ago: the newest 100 are kept whatever their age.
    for (let i = 0; i < 150; i++) sql.exec("INSERT INTO runs (cause, mode, status, started_at, finished_at) VALUES ('cron', 'apply', 'succeeded', ?, ?)", old, old);
    await storage.caches.blobs().put("a".repeat(40), "recent blob");
    sql.exec("INSERT INTO blobs (sha, content) VALUES (?, 'old blob')", "b".repeat(40));
    sql.exec("INSERT OR REPLACE INTO blob_use (sha, used_at) VALUES (?, ?)", "b".repeat(40), old);
    sql.exec("DELETE FROM state WHERE key = 'last_pruned'");
    storage.prune({ auditDays: 400, runDays: 90, cacheDays: 30 });
    const count = (table: string) => Number(sql.exec(`SELECT COUNT(*) AS n FROM ${table}`).one().n);
    const first = { audit: count("audit"), runs: count("runs"), blobs: count("blobs") };
    // Pruning runs at most once a day: a second call right after changes nothing.
    sql.exec("INSERT INTO audit (at, kind, result) VALUES (?, 'run', 'succeeded')", old);
    storage.prune({ auditDays: 400, runDays: 90, cacheDays: 30 });
    return { first, again: count("audit") };
  });
  expect(counts.first).toEqual({ audit: 1, runs: 100, blobs: 1 });
  expect(counts.again).toBe(2);
});

it("prunes a pull request's reviewed plan and plan comment id not written for the runs' age, and keeps recent ones", async () => {
  const keys = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const storage = new ReconcilerStorage(sql);
    const old = new Date(Date.now() - 200 * 86_400_000).toISOString();
    sql.exec("DELETE FROM state WHERE key GLOB 'reviewed:*' OR key GLOB 'plan_comment:*'");
    storage.state.setReviewed("a".repeat(40), { pr: 1, sha: "1".repeat(40), fingerprint: "f" });
    storage.state.setPlanComment(1, 11);
    storage.state.setReviewed("b".repeat(40), { pr: 2, sha: "2".repeat(40), fingerprint: "f" });
    storage.state.setPlanComment(2, 22);
    sql.exec("UPDATE state SET at = ? WHERE key IN (?, 'plan_comment:1')", old, `reviewed:${"a".repeat(40)}`);
    sql.exec("DELETE FROM state WHERE key = 'last_pruned'");
    storage.prune({ auditDays: 400, runDays: 90, cacheDays: 30 });
    return sql.exec("SELECT key FROM state WHERE key GLOB 'reviewed:*' OR key GLOB 'plan_comment:*' ORDER BY key").toArray().map((row) => String(row.key));
  });
  expect(keys).toEqual(["plan_comment:2", `reviewed:${"b".repeat(40)}`]);
});

it("a run's scratch, its queue entry and its attempt counter are gone once it is recorded", async () => {
  await freshWorld({ files: { "credentials/svc.yaml": "credentials:\n  - name: svc-a\n" } });
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  await settle();
  expect((await reconciler().status()).last).toMatchObject({ cause: "manual", status: "succeeded" });
  const left = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const rows = Object.fromEntries(["queue", ...SCRATCH_TABLES].map((table) => [table, Number(sql.exec(`SELECT COUNT(*) AS n FROM ${table}`).one().n)]));
    const keys = sql.exec("SELECT key FROM state WHERE (key GLOB 'active*' OR key = 'run_attempts' OR key = 'cancel_run') AND value != ''").toArray().map((row) => String(row.key));
    return { rows, keys };
  });
  expect(left).toEqual({ rows: { queue: 0, run_sources: 0, run_live: 0, run_kind_live: 0, run_changes: 0, run_deliveries: 0, run_text: 0, run_results: 0 }, keys: [] });
});
