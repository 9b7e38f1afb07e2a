// Every run of the repository goes through its Durable Object: no two overlap, queued requests coalesce, a cut-off run is retried.
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { decodeMetadata } from "../../src/ownership/marker.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { newRunState } from "../../src/run/state.js";
import { freshWorld, admin, bindings, deliver, emulator, liveCredentials, pushPayload, reconciler, settle } from "./support.js";

const SPECS = `credentials:\n${Array.from({ length: 8 }, (_, i) => `  - name: svc-${i}\n`).join("")}`;
let head: string;

beforeAll(async () => {
  head = (await freshWorld({ files: { "credentials/svc.yaml": SPECS } })).base;
});

describe("serialization", () => {
  it("50 webhooks and a cron tick at once: answered, one run at a time, coalesced, no duplicate creates", async () => {
    const firstRun = ((await reconciler().status()).last?.id ?? 0) + 1;
    const ctx = createExecutionContext();
    const responses = await Promise.all([
      ...Array.from({ length: 50 }, () => deliver("push", pushPayload(head, head))),
      worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx).then(() => null),
      admin("/api/reconcile", { method: "POST" }),
    ]);
    await waitOnExecutionContext(ctx);
    const statuses = responses.filter((r): r is Response => r !== null).map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(51);
    await settle();
    const runs = [];
    for (let id = firstRun; ; id++) {
      const run = await reconciler().run(id);
      if (!run) break;
      runs.push(run);
    }
    // Coalesced: far fewer runs than requests, and every run finished before the next one started.
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThan(10);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at >= runs[i - 1]!.finished_at!, JSON.stringify(runs.map((r) => [r.id, r.cause, r.status, r.started_at, r.finished_at]))).toBe(true);
    const names = (await liveCredentials()).map((c) => decodeMetadata(c.metadata)).flatMap((d) => (d.kind === "managed" ? [d.marker.name] : []));
    expect(names.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `svc-${i}`).sort());
  });

  it("a run cut off half-way is marked interrupted and its request runs again from the alarm", async () => {
    await expectInterruptedAndRerun(() => undefined);
  });

  it("a run state left by another version (a deploy mid-run) is not misread: the run is interrupted and its request runs again", async () => {
    await expectInterruptedAndRerun((sql, runId) => {
      // What the previous version saved: an unversioned state at stage apply, pointing at changes that do not exist.
      sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('active', ?)", JSON.stringify({ runId, key: "apply", request: { cause: "manual", mode: "apply" }, stage: "apply", applied: 3, total: 8 }));
    }, /STATE_INVALID: the persisted run state is of version null, this deploy reads version \d+/);
  });

  it("a run state of this version that fails validation is not resumed: the run is interrupted saying which fields, and its request runs again", async () => {
    await expectInterruptedAndRerun((sql, runId) => {
      const state = newRunState(runId, "manual", { cause: "manual", mode: "apply", actor: "operator" }, "apply");
      sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('active', ?)", JSON.stringify({ ...state, stage: "teleport", applied: "3" }));
    }, /STATE_INVALID: the persisted run state failed validation: stage: .*applied: .*its request runs again/);
  });
});

/**
 * What a crash leaves behind (the request still queued, its run still marked running, plus `leftover` in storage),
 * then the alarm: the run must end interrupted, and its request run again to convergence.
 */
async function expectInterruptedAndRerun(leftover: (sql: SqlStorage, runId: number) => void, error?: RegExp): Promise<void> {
  await emulator("POST", "/__emulator/reset");
  const interruptedId = await runInDurableObject(reconciler(), async (_instance, state) => {
    const storage = new ReconcilerStorage(state.storage.sql);
    storage.queue.enqueue({ cause: "manual", mode: "apply", actor: "operator" });
    const id = storage.runs.start({ cause: "manual", mode: "apply", actor: "operator" });
    leftover(state.storage.sql, id);
    await state.storage.setAlarm(Date.now() + 60_000);
    return id;
  });
  expect(await runDurableObjectAlarm(reconciler())).toBe(true);
  await settle();
  const interrupted = await reconciler().run(interruptedId);
  expect(interrupted?.status).toBe("interrupted");
  if (error) expect(interrupted?.errors.join("\n")).toMatch(error);
  expect((await reconciler().status()).last).toMatchObject({ cause: "manual", status: "succeeded" });
  expect(await liveCredentials()).toHaveLength(8);
}
