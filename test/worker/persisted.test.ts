// Persisted JSON is checked when the Durable Object reads it back: a row that does not fit interrupts the run, naming its table, key and field.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import type { Plan } from "../../src/plan/types.js";
import { newRunState } from "../../src/run/state.js";
import type { RunRequest } from "../../src/run/types.js";
import { emulator, freshWorld, liveCredentials, reconciler, settle } from "./support.js";

const SPECS = `credentials:\n${Array.from({ length: 3 }, (_, i) => `  - name: svc-${i}\n`).join("")}`;
const REQUEST: RunRequest = { cause: "manual", mode: "apply", actor: "operator" };
const EMPTY_PLAN: Plan = { ownerId: "usr_test", changes: [], deliveries: [], retiring: 0, unchanged: [], unmanaged: 0, foreign: 0, refusals: [], notes: [], staleIntents: [] };

beforeAll(async () => {
  await freshWorld({ files: { "credentials/svc.yaml": SPECS } });
});

/**
 * Queues a manual apply, lets `corrupt` damage storage (it may start the run and save its state, and returns the run's
 * id then), runs the alarm, and settles unless told not to; returns the id of the run that met the damage.
 */
async function runWith(corrupt: (sql: SqlStorage, storage: ReconcilerStorage, key: string) => number | void, options: { settle?: boolean } = {}): Promise<number> {
  await emulator("POST", "/__emulator/reset");
  const runId = await runInDurableObject(reconciler(), async (_instance, state) => {
    const sql = state.storage.sql;
    const storage = new ReconcilerStorage(sql);
    const key = storage.queue.enqueue(REQUEST);
    // Without a saved state, the alarm starts the next run: the id after the last one given.
    const next = Number(sql.exec("SELECT COALESCE(MAX(seq), 0) AS n FROM sqlite_sequence WHERE name = 'runs'").one().n) + 1;
    const started = corrupt(sql, storage, key);
    await state.storage.setAlarm(Date.now() + 60_000);
    return started ?? next;
  });
  expect(await runDurableObjectAlarm(reconciler())).toBe(true);
  if (options.settle !== false) await settle();
  return runId;
}

it("a run's planned change that does not read back interrupts the run naming run_changes, the row and the field; its request runs again", async () => {
  const runId = await runWith((sql, storage, key) => {
    const id = storage.runs.start(REQUEST);
    storage.scratch.save({ ...newRunState(id, key, REQUEST, "apply"), stage: "apply", total: 1 });
    // A plan of one change, its row then damaged: the apply stage reads it by index.
    storage.scratch.savePlan({ ...EMPTY_PLAN, changes: [{ action: "delete", name: "svc-0", id: "cr_1", reason: "removed" }] });
    sql.exec("UPDATE run_changes SET json = ? WHERE idx = 0", JSON.stringify({ action: "teleport", name: "svc-0", id: "cr_1" }));
    return id;
  });
  const run = await reconciler().run(runId);
  expect(run?.status).toBe("interrupted");
  expect(run?.errors.join("\n")).toMatch(/PERSISTED_INVALID: run_changes row "0" does not read back: action: .*its request runs again/);
  expect((await reconciler().status()).last).toMatchObject({ cause: "manual", status: "succeeded" });
  expect(await liveCredentials()).toHaveLength(3);
});

it("a cached parse that does not read back interrupts the run naming spec_cache and the field; the row is dropped and the request runs again", async () => {
  // The first run fills the parse cache; its rows are then damaged.
  await runWith(() => undefined);
  const damaged = await runInDurableObject(reconciler(), async (_instance, state) => state.storage.sql.exec("UPDATE spec_cache SET json = ?", JSON.stringify({ specs: "svc-0", errors: [] })).rowsWritten);
  expect(damaged).toBeGreaterThan(0);
  const runId = await runWith(() => undefined);
  const run = await reconciler().run(runId);
  expect(run?.status).toBe("interrupted");
  expect(run?.errors.join("\n")).toMatch(/PERSISTED_INVALID: spec_cache row ".*" does not read back: specs: /);
  expect((await reconciler().status()).last).toMatchObject({ cause: "manual", status: "succeeded" });
  expect(await liveCredentials()).toHaveLength(3);
});

it("an attempt counter that does not read back interrupts the run instead of failing every alarm; its request runs again", async () => {
  const runId = await runWith((sql) => {
    sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('run_attempts', ?)", JSON.stringify({ run: "1", invocations: -1 }));
  });
  const run = await reconciler().run(runId);
  expect(run?.status).toBe("interrupted");
  expect(run?.errors.join("\n")).toMatch(/PERSISTED_INVALID: state row "run_attempts" does not read back: run: .*invocations: /);
  expect((await reconciler().status()).last).toMatchObject({ cause: "manual", status: "succeeded" });
  expect(await liveCredentials()).toHaveLength(3);
});

it("a queued request that does not read back leaves the queue with an audit entry naming it, and the requests behind it run", async () => {
  const runId = await runWith((sql) => {
    // Older than the manual request, so it comes first.
    sql.exec("INSERT INTO queue (key, request, enqueued_at) VALUES ('pr:9', ?, '2000-01-01T00:00:00.000Z')", JSON.stringify({ kind: "run", request: { cause: "pull_request", mode: "plan", pr: "nine" } }));
  });
  expect(await reconciler().run(runId)).toMatchObject({ cause: "manual", status: "succeeded" });
  const dropped = await runInDurableObject(reconciler(), async (_instance, state) => new ReconcilerStorage(state.storage.sql).audit.query({ kind: "run" }).entries.find((e) => e.action === "dequeue"));
  expect(dropped).toMatchObject({ result: "invalid" });
  expect(String(dropped?.detail.error)).toMatch(/PERSISTED_INVALID: queue row "pr:9" does not read back: request\.(sha|pr): /);
  expect((await reconciler().status()).queued).toEqual([]);
});

it("a named state value that does not read back ends the run interrupted naming the key and field, and the queue moves on", async () => {
  const runId = await runWith((sql) => {
    sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('held', ?)", JSON.stringify({ sha: 7, at: "now" }));
  }, { settle: false });
  const run = await reconciler().run(runId);
  expect(run?.status).toBe("interrupted");
  expect(run?.errors.join("\n")).toMatch(/PERSISTED_INVALID: state row "held" does not read back: sha: /);
  const status = await runInDurableObject(reconciler(), async (_instance, state) => {
    state.storage.sql.exec("DELETE FROM state WHERE key = 'held'");
    return { queued: new ReconcilerStorage(state.storage.sql).queue.list().length };
  });
  expect(status.queued).toBe(0);
  expect(await liveCredentials()).toEqual([]);
});
