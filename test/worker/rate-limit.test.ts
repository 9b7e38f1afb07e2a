// The Worker paces itself to the ngrok account's rolling window across its chunked invocations (MAX_SUBREQUESTS=50):
// a first apply larger than one window meets no 429, because each invocation starts where the last left the window.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeMetadata } from "../../src/ownership/marker.js";
import { admin, bindings, emulator, emulatorCalls, emulatorTokens, freshWorld, liveCredentials, restoreWorkerRate, setWorkerRate, untilStatus } from "./support.js";

const N = 60;
// ngrok's 120 per 60 s, scaled down so the test sees several windows in seconds: 61 calls need 3 windows of 20.
const RATE = "20/4s";
const name = (i: number) => `paced-${String(i).padStart(2, "0")}`;

beforeAll(async () => {
  expect(bindings.MAX_SUBREQUESTS).toBe("50");
  await freshWorld({ files: { "credentials/paced.yaml": `credentials:\n${Array.from({ length: N }, (_, i) => `  - name: ${name(i)}\n`).join("")}` } });
  await emulator("POST", "/__emulator/rate-limit", { rate: RATE });
  await setWorkerRate(RATE);
});
afterAll(restoreWorkerRate);

/** The run waits on the account's window (the alarm fires by itself, as in production): wait for it to end. */
const finished = () => untilStatus((s) => s.queued.length === 0 && s.current === null, 100);

describe("pacing across invocations", () => {
  it(`a first apply of ${N} credentials at ${RATE}: no 429, one credential per spec, each with its own token`, { timeout: 700_000 }, async () => {
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const status = await finished();
    expect(status.last).toMatchObject({ status: "succeeded", summary: { create: N, update: 0, delete: 0 } });
    const calls = await emulatorCalls();
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(N);
    const live = await liveCredentials();
    expect(live.map((c) => decodeMetadata(c.metadata)).flatMap((d) => (d.kind === "managed" ? [d.marker.name] : [])).sort()).toEqual(Array.from({ length: N }, (_, i) => name(i)));
    const tokens = await emulatorTokens();
    for (const i of [0, N - 1]) {
      const stored = (await (await admin(`/api/credentials/${name(i)}/token`)).json()) as { id: string; token: string };
      expect(stored.token).toBe(tokens[stored.id]);
    }
    // It took more than one invocation of 50 subrequests, so the window was carried between them.
    const audit = (await (await admin("/api/audit?kind=run&limit=1")).json()) as { entries: { detail: { progress: { invocations: number } } }[] };
    expect(audit.entries[0]?.detail.progress.invocations).toBeGreaterThan(1);
  });
});
