// Retention: audit entries, finished runs and cached blobs are pruned by age (the audit log's age is configurable).
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { reconciler } from "./support.js";

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
