// Durable Objects of any earlier schema migrate without losing data: the old tables are seeded, the object starts, the rows are read back.
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/reconciler/migrations.js";
import { Reconciler } from "../../src/reconciler/reconciler.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { bindings } from "./support.js";

/** The tables of the first deploys: no schema_version, delivered without written_at, caches without byte counts, run_outcomes still there. */
const UNVERSIONED = `
CREATE TABLE queue (key TEXT PRIMARY KEY, request TEXT NOT NULL, enqueued_at TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, cause TEXT NOT NULL, mode TEXT NOT NULL, sha TEXT, pr INTEGER, delivery TEXT, actor TEXT,
  status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT, plan_text TEXT NOT NULL DEFAULT '',
  outcomes TEXT NOT NULL DEFAULT '[]', errors TEXT NOT NULL DEFAULT '[]', api_calls TEXT NOT NULL DEFAULT '{"ngrok":0,"github":0}');
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id INTEGER, kind TEXT NOT NULL, cause TEXT, sha TEXT, delivery TEXT,
  actor TEXT, name TEXT, action TEXT, result TEXT NOT NULL, operation_id TEXT, detail TEXT NOT NULL DEFAULT '{}');
CREATE TABLE intents (nonce TEXT PRIMARY KEY, name TEXT NOT NULL, opened_at TEXT NOT NULL);
CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
CREATE TABLE blobs (sha TEXT PRIMARY KEY, content TEXT NOT NULL);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE delivered (key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (key, name));
CREATE TABLE token_index (name TEXT PRIMARY KEY, id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL);
CREATE TABLE run_outcomes (idx INTEGER PRIMARY KEY, json TEXT NOT NULL);
`;

/** A later unversioned deploy: the ad-hoc ALTERs had run (written_at, byte counts, blob_use), still no schema_version. */
const ALTERED = `
CREATE TABLE queue (key TEXT PRIMARY KEY, request TEXT NOT NULL, enqueued_at TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, cause TEXT NOT NULL, mode TEXT NOT NULL, sha TEXT, pr INTEGER, delivery TEXT, actor TEXT,
  status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, summary TEXT, plan_text TEXT NOT NULL DEFAULT '',
  outcomes TEXT NOT NULL DEFAULT '[]', errors TEXT NOT NULL DEFAULT '[]', api_calls TEXT NOT NULL DEFAULT '{"ngrok":0,"github":0}');
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run_id INTEGER, kind TEXT NOT NULL, cause TEXT, sha TEXT, delivery TEXT,
  actor TEXT, name TEXT, action TEXT, result TEXT NOT NULL, operation_id TEXT, detail TEXT NOT NULL DEFAULT '{}');
CREATE TABLE blobs (sha TEXT PRIMARY KEY, content TEXT NOT NULL);
CREATE TABLE blob_use (sha TEXT PRIMARY KEY, used_at TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE delivered (key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, written_at TEXT, PRIMARY KEY (key, name));
CREATE TABLE spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0);
`;

const BLOB = "b".repeat(40);
const CJK = "credentials:\n  - name: 東京\n";
const TREE = "c".repeat(40);

/** What the ad-hoc code of that deploy kept up to date: the byte counts and the use rows of blobs. */
const ALTERED_COUNTS = `
UPDATE spec_cache SET bytes = length(CAST(json AS BLOB));
INSERT INTO blob_use (sha, used_at, bytes) SELECT sha, '2026-01-02T03:04:05.000Z', length(CAST(content AS BLOB)) FROM blobs;
`;

for (const [shape, schema, counts] of [
  ["the first unversioned schema", UNVERSIONED, ""],
  ["an unversioned schema after the ad-hoc ALTERs", ALTERED, ALTERED_COUNTS],
] as const) {
  it(`an object of ${shape} migrates to schema ${SCHEMA_VERSION} and keeps every row`, async () => {
    const stub = bindings.RECONCILER.getByName(`migrations-${shape}`);
    const result = await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      // Back to what the old deploy left: its tables only, with its rows.
      const tables = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
      for (const { name } of tables) sql.exec(`DROP TABLE IF EXISTS "${String(name)}"`);
      sql.exec(schema);
      const at = "2026-01-02T03:04:05.000Z";
      sql.exec("INSERT INTO queue (key, request, enqueued_at) VALUES ('cron', ?, ?)", JSON.stringify({ cause: "cron", mode: "apply" }), at);
      sql.exec("INSERT INTO runs (cause, mode, status, started_at, finished_at, errors) VALUES ('push', 'apply', 'succeeded', ?, ?, '[\"one\"]')", at, at);
      sql.exec("INSERT INTO audit (at, kind, name, result) VALUES (?, 'change', 'svc', 'done')", at);
      sql.exec("INSERT INTO blobs (sha, content) VALUES (?, ?)", BLOB, CJK);
      sql.exec("INSERT INTO spec_cache (key, json, used_at) VALUES ('k', ?, ?)", JSON.stringify({ ok: true, name: "東京" }), at);
      sql.exec("INSERT INTO delivered (key, name, id, at) VALUES ('repo:o/r:NGROK', 'svc', 'cr_1', ?)", at);
      sql.exec("INSERT INTO state (key, value) VALUES (?, ?)", `reviewed:${TREE}`, JSON.stringify({ pr: 7, sha: "d".repeat(40), fingerprint: "f" }));
      sql.exec("INSERT INTO state (key, value) VALUES ('last_applied', ?)", JSON.stringify({ sha: "e".repeat(40), tree: TREE, at }));
      if (counts) sql.exec(counts);

      // The object starts on that storage (its constructor migrates), then the rows are read through it.
      const started = new Reconciler(state, bindings);
      const storage = new ReconcilerStorage(sql);
      const columns = (table: string) => sql.exec("SELECT name FROM pragma_table_info(?)", table).toArray().map((row) => String(row.name));
      const tablesAfter = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((row) => String(row.name));
      return {
        version: Number(sql.exec("SELECT version FROM schema_version").one().version),
        status: await started.status(),
        queue: storage.queue.list().map((entry) => entry.job),
        run: storage.runs.get(1),
        audit: storage.audit.query({ name: "svc" }).entries.map((entry) => entry.result),
        blob: await storage.caches.blobs().get(BLOB),
        bytes: storage.caches.bytes(),
        delivered: storage.delivered.list(),
        reviewed: storage.state.reviewed(TREE),
        reviewedAt: sql.exec("SELECT at FROM state WHERE key = ?", `reviewed:${TREE}`).one().at,
        lastApplied: storage.state.get("last_applied"),
        deliveredColumns: columns("delivered"),
        tables: tablesAfter,
      };
    });
    expect(result.version).toBe(SCHEMA_VERSION);
    expect(result.queue).toEqual([{ kind: "run", request: { cause: "cron", mode: "apply" } }]);
    expect(result.status.queued).toHaveLength(1);
    expect(result.run).toMatchObject({ id: 1, cause: "push", status: "succeeded", errors: ["one"] });
    expect(result.audit).toEqual(["done"]);
    expect(result.blob).toBe(CJK);
    // Byte counts filled from the stored text in UTF-8 (東京 is 6 bytes), the blob without a use row counted.
    expect(result.bytes).toEqual({ blobs: new TextEncoder().encode(CJK).length, specs: new TextEncoder().encode(JSON.stringify({ ok: true, name: "東京" })).length });
    expect(result.delivered).toEqual([{ key: "repo:o/r:NGROK", name: "svc", id: "cr_1", at: "2026-01-02T03:04:05.000Z", written_at: null }]);
    expect(result.deliveredColumns).toContain("written_at");
    expect(result.reviewed).toEqual({ pr: 7, sha: "d".repeat(40), fingerprint: "f" });
    expect(typeof result.reviewedAt).toBe("string");
    expect(result.lastApplied?.tree).toBe(TREE);
    expect(result.tables).not.toContain("run_outcomes");
    expect(result.tables).toEqual(expect.arrayContaining(["blob_use", "intents", "token_index", "run_results", "run_kind_live"]));
  });
}

it("an object already at the current schema runs no migration again", async () => {
  const stub = bindings.RECONCILER.getByName("migrations-current");
  const again = await runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const before = String(sql.exec("SELECT migrated_at FROM schema_version").one().migrated_at);
    new ReconcilerStorage(sql);
    return { before, after: String(sql.exec("SELECT migrated_at FROM schema_version").one().migrated_at), version: Number(sql.exec("SELECT version FROM schema_version").one().version) };
  });
  expect(again.version).toBe(SCHEMA_VERSION);
  expect(again.after).toBe(again.before);
});
