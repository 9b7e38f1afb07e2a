// Workers Free allows 50 subrequests per invocation: a 10,000-credential account converges over several alarms, none over the limit.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, emulator, emulatorCalls, github, liveCredentials, settle } from "./support.js";

const N = 10_000;
const name = (i: number) => `cred-${String(i).padStart(5, "0")}`;

beforeAll(async () => {
  expect(bindings.MAX_SUBREQUESTS).toBe("50");
  await freshWorld();
  // The account already holds N managed credentials; 60 of them drifted and 40 specs are new.
  const seed = Array.from({ length: N - 40 }, (_, i) => ({
    description: i < 60 ? "drifted" : `service ${i}`,
    metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: name(i) }),
  }));
  for (let i = 0; i < seed.length; i += 2000) await emulator("POST", "/__emulator/seed", { credentials: seed.slice(i, i + 2000) });
  const files: Record<string, string> = {};
  for (let f = 0; f < N / 1000; f++) {
    const lines = ["credentials:"];
    for (let i = f * 1000; i < (f + 1) * 1000; i++) lines.push(`  - name: ${name(i)}`, `    description: service ${i}`);
    files[`credentials/bulk-${f}.yaml`] = `${lines.join("\n")}\n`;
  }
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "main", files, replace: true });
  await emulator("DELETE", "/__emulator/calls").catch(() => undefined);
});

describe("chunked runs", () => {
  it("converges with no invocation over the Free-plan limit, showing progress", async () => {
    const callsBefore = (await emulatorCalls()).length;
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const status = await settle();
    const run = status.last;
    expect(run).toMatchObject({ cause: "manual", status: "succeeded", summary: { create: 40, update: 60, delete: 0 } });
    const audit = (await (await admin(`/api/audit?kind=run&limit=1`)).json()) as { entries: { detail: { progress: { invocations: number; max_subrequests: number; listed: number } } }[] };
    const progress = audit.entries[0]!.detail.progress;
    expect(progress.listed).toBe(N - 40);
    expect(progress.max_subrequests).toBeLessThanOrEqual(50);
    // 100 list pages and 100 changes cannot fit one invocation of 50 subrequests.
    expect(progress.invocations).toBeGreaterThan(4);
    const calls = (await emulatorCalls()).slice(callsBefore);
    expect(calls.filter((c) => c.method === "GET")).toHaveLength(100);
    expect(calls.filter((c) => c.method !== "GET")).toHaveLength(100);
    const live = await liveCredentials();
    expect(live).toHaveLength(N);
    expect(live.filter((c) => c.description === "drifted")).toHaveLength(0);
  });
});
