// POST /api/runs/current/cancel ends the run in progress (audited with the caller), and the queue moves on.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { StatusInfo } from "../../src/reconciler/types.js";
import { admin, emulator, emulatorCalls, freshWorld, restoreWorkerRate, setWorkerRate, untilStatus } from "./support.js";

const N = 60;
beforeAll(async () => {
  await freshWorld({ files: { "credentials/slow.yaml": `credentials:\n${Array.from({ length: N }, (_, i) => `  - name: slow-${i}\n`).join("")}` } });
  // Slow enough that the run spans several invocations: 61 calls at 20 per 4 s.
  await emulator("POST", "/__emulator/rate-limit", { rate: "20/4s" });
  await setWorkerRate("20/4s");
});
afterAll(restoreWorkerRate);

const until = (done: (status: StatusInfo) => boolean) => untilStatus(done, 50);

it("cancels the run in progress: it ends as cancelled before converging, audited with the caller, and nothing is left queued", { timeout: 700_000 }, async () => {
  expect((await admin("/api/runs/current/cancel", { method: "POST" })).status).toBe(200);
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  const applying = await until((s) => s.progress?.stage === "apply");
  const res = await admin("/api/runs/current/cancel", { method: "POST", headers: { "CF-Connecting-IP": "203.0.113.9", "User-Agent": "ops-script/1.0" } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { cancelled: number; when: string };
  expect(body.cancelled).toBe(applying.progress?.run);
  const ended = await until((s) => s.current === null && s.queued.length === 0);
  expect(ended.last).toMatchObject({ id: body.cancelled, status: "cancelled" });
  expect(ended.last?.errors.join("\n")).toContain("cancelled by operator");
  const creates = (await emulatorCalls()).filter((c) => c.method === "POST");
  expect(creates.length).toBeLessThan(N);
  const audit = (await (await admin("/api/audit?kind=run")).json()) as { entries: { action: string; result: string; detail: { caller?: { ip: string; user_agent: string } } }[] };
  expect(audit.entries.find((e) => e.action === "cancel" && e.result !== "nothing_running")?.detail.caller).toEqual({ ip: "203.0.113.9", user_agent: "ops-script/1.0" });
  // Nothing running now: a cancel says so.
  expect(await (await admin("/api/runs/current/cancel", { method: "POST" })).json()).toEqual({ cancelled: null, when: null });
});
