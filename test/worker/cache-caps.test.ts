// Cached PR blobs and parsed files are capped in bytes per repository: hostile pull requests cannot grow them for 30 days; the oldest used go first.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { BLOB_CACHE_MAX_BYTES, SPEC_CACHE_MAX_BYTES } from "../../src/reconciler/caches.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { FREE_PARSE_BYTES, packSpecFiles } from "../support/spec-files.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { commit, deliver, freshWorld, github, pullRequestPayload, reconciler, settle } from "./support.js";

const PRS = 4;
// 888 specs of ~4 KB a pull request (~3.5 MB), 12 a file: each file within the Worker's per-file parse limit.
const FILES = 74;
const PER_FILE = 12;
let base = "";

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "caches\n" } })).base;
  await settle();
});

/** A file's git blob SHA, as the tree lists it. */
async function blobSha(content: string): Promise<string> {
  const body = new TextEncoder().encode(content);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", new Uint8Array([...new TextEncoder().encode(`blob ${body.length}\0`), ...body])));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the Durable Object holds: bytes per cache, and which of the given blob SHAs are cached. */
const cached = (shas: string[]) =>
  runInDurableObject(reconciler(), async (_instance, state) => {
    const storage = new ReconcilerStorage(state.storage.sql);
    const have = new Set(state.storage.sql.exec("SELECT sha FROM blobs").toArray().map((row) => String(row.sha)));
    return { ...storage.caches.bytes(), stored: shas.filter((sha) => have.has(sha)).length };
  });

it(`${PRS} pull requests of ~3.5 MB of specs each leave at most the caps cached, the newest PR's blobs kept`, async () => {
  const blobsOf: string[][] = [];
  for (let pr = 0; pr < PRS; pr++) {
    const entries = Array.from({ length: FILES * PER_FILE }, (_, i) => `  - name: p${pr}-${i}\n    description: pull request ${pr}\n    metadata: "${String(pr).repeat(3900)}"\n`);
    const files = packSpecFiles((f) => `credentials/part-${f}.yaml`, entries);
    expect(Object.keys(files)).toHaveLength(FILES);
    expect(Object.values(files).every((text) => new TextEncoder().encode(text).length <= FREE_PARSE_BYTES)).toBe(true);
    const head = (await commit(`caches-${pr}`, files)).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 2300 + pr, head_ref: `caches-${pr}`, head_sha: head, base_ref: "main" });
    blobsOf.push(await Promise.all(Object.values(files).map(blobSha)));
    expect((await deliver("pull_request", pullRequestPayload("opened", 2300 + pr, head, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ pr: 2300 + pr, status: "succeeded", summary: { create: FILES * PER_FILE } });
    const now = await cached(blobsOf[pr]!);
    expect(now.blobs).toBeLessThanOrEqual(BLOB_CACHE_MAX_BYTES);
    expect(now.specs).toBeLessThanOrEqual(SPEC_CACHE_MAX_BYTES);
    expect(now.stored).toBe(FILES);
  }
  expect((await cached(blobsOf[0]!)).stored).toBe(0);
});

it("caches written before the caps get their sizes counted in UTF-8 bytes when the Durable Object starts", async () => {
  const sizes = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec("DROP TABLE blob_use");
    sql.exec("DROP TABLE spec_cache");
    sql.exec("DELETE FROM blobs");
    sql.exec("CREATE TABLE blob_use (sha TEXT PRIMARY KEY, used_at TEXT NOT NULL)");
    sql.exec("CREATE TABLE spec_cache (key TEXT PRIMARY KEY, json TEXT NOT NULL, used_at TEXT NOT NULL)");
    sql.exec("INSERT INTO blobs (sha, content) VALUES ('a', '語語'), ('b', 'abc')");
    sql.exec("INSERT INTO blob_use (sha, used_at) VALUES ('a', ?)", new Date().toISOString());
    sql.exec("INSERT INTO spec_cache (key, json, used_at) VALUES ('k', '\"説\"', ?)", new Date().toISOString());
    // The object as such a deploy left it: before the migration that adds the byte columns (src/reconciler/migrations.ts).
    sql.exec("UPDATE schema_version SET version = 3");
    return new ReconcilerStorage(sql).caches.bytes();
  });
  expect(sizes).toEqual({ blobs: 6 + 3, specs: 5 });
});
