// A run that keeps dying before it persists anything (an out-of-memory or CPU kill cannot be caught) is given up, and the queue moves on.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, expect, it } from "vitest";
import { MAX_IDLE } from "../../src/run/core.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { newRunState } from "../../src/run/state.js";
import { emulator, freshWorld, liveCredentials, reconciler, settle } from "./support.js";

beforeAll(async () => {
  await freshWorld({ files: { "credentials/svc.yaml": "credentials:\n  - name: svc-a\n  - name: svc-b\n" } });
});

it("a run whose invocations keep ending where they started is recorded as given up, and calls nothing", async () => {
  await emulator("POST", "/__emulator/reset");
  const runId = await runInDurableObject(reconciler(), async (_instance, state) => {
    const storage = new ReconcilerStorage(state.storage.sql);
    const request = { cause: "manual", mode: "apply", actor: "operator" } as const;
    const key = storage.queue.enqueue(request);
    const id = storage.runs.start(request);
    const run = newRunState(id, key, request, "apply");
    storage.scratch.save(run);
    // The Durable Object counted MAX_IDLE invocations before, and each was killed before it persisted anything.
    storage.state.set("run_attempts", { run: id, invocations: MAX_IDLE });
    await state.storage.setAlarm(Date.now() + 60_000);
    return id;
  });
  expect(await runDurableObjectAlarm(reconciler())).toBe(true);
  await settle();
  const run = await reconciler().run(runId);
  expect(run?.status).toBe("failed");
  expect(run?.errors.join("\n")).toContain(`RUN_NO_PROGRESS: the run made no progress in ${MAX_IDLE} invocations in a row (stage start)`);
  const status = await reconciler().status();
  expect(status.current).toBeNull();
  expect(status.queued).toEqual([]);
  expect(await liveCredentials()).toEqual([]);
});
