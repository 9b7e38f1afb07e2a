// Defects of the Worker's old run copy, each reproduced through the Durable Object: not-attempted lists, coalescing, call counts, tiny budgets.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeMetadata, encodeMetadata } from "../../src/ownership/marker.js";
import { importKeyring, KvTokenStore, TokenVault } from "../../src/vault/index.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, commit, emulator, emulatorCalls, liveCredentials, reconciler, settle } from "./support.js";

const SPECS = "credentials:\n  - name: one\n  - name: two\n  - name: three\n";

beforeAll(async () => {
  await freshWorld({ files: { "credentials/defects.yaml": SPECS } });
});

describe("the Worker's run", () => {
  it("a failed apply reports as not attempted exactly the changes it never started", async () => {
    // A retired credential: its delete runs first (cleanup), though the plan lists it last. It fails.
    const seeded = (await emulator("POST", "/__emulator/seed", { credentials: [{ metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: "old", retire: "2020-01-01T00:00:00.000Z" }) }] })) as { credentials: { id: string }[] };
    const retired = seeded.credentials[0]!.id;
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "DELETE", path: `/credentials/${retired}`, status: 400 }] });
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const run = (await settle()).last!;
    await emulator("DELETE", "/__emulator/faults");
    expect(run.status).toBe("failed");
    const by = (status: string) => run.outcomes.filter((o) => o.status === status).map((o) => `${o.action} ${o.name}`).sort();
    expect(by("failed")).toEqual(["delete old"]);
    expect(by("not_attempted")).toEqual(["create one", "create three", "create two"]);
    // The next run converges and cleans up.
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded" });
  });

  it("reports the ngrok calls each run made (api_calls.ngrok)", async () => {
    await commit("main", { "credentials/defects.yaml": `${SPECS}  - name: four\n` });
    const before = (await emulatorCalls()).length;
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const run = (await settle()).last!;
    const made = (await emulatorCalls()).length - before;
    expect(made).toBeGreaterThan(1);
    expect(run.api_calls.ngrok).toBe(made);
    expect(run).toMatchObject({ status: "succeeded", summary: { create: 1 } });
  });

  it("queued requests keep what each asked for: an approval, then a push, then a cron tick", async () => {
    const head = (await commit("main", { "credentials/defects.yaml": `${SPECS}  - name: four\n  - name: five\n` })).sha;
    const queued = await runInDurableObject(reconciler(), async (instance) => {
      await instance.enqueue({ cause: "manual", mode: "apply", actor: "operator", allowDeletes: true });
      await instance.enqueue({ cause: "push", mode: "apply", sha: head, delivery: `d-${Date.now()}` });
      await instance.enqueue({ cause: "cron", mode: "apply", actor: "cron" });
      return (await instance.status()).queued;
    });
    // The approval is not merged into the later requests, and the cron tick does not replace the push.
    expect(queued.map((q) => q.cause).sort()).toEqual(["manual", "push"]);
    await settle();
  });

  it("MAX_SUBREQUESTS of 8 or less never spins: no run starts, and the problem is named", async () => {
    const result = await runInDurableObject(reconciler(), async (instance) => {
      const env = (instance as unknown as { env: Env }).env;
      const before = env.MAX_SUBREQUESTS;
      env.MAX_SUBREQUESTS = "8";
      try {
        const enqueued = await instance.enqueue({ cause: "manual", mode: "apply", actor: "operator" });
        for (let i = 0; i < 20; i++) await instance.alarm();
        return { enqueued, status: await instance.status() };
      } finally {
        env.MAX_SUBREQUESTS = before;
      }
    });
    expect(result.enqueued).toMatchObject({ queued: false, reason: "config" });
    expect(result.status.current).toBeNull();
    expect(JSON.stringify(result.status)).toContain("MAX_SUBREQUESTS");
    await settle();
  });

  it("decides which credential a token belongs to from the Durable Object's ledger, never from KV's listing", async () => {
    await commit("main", { "credentials/defects.yaml": "credentials:\n  - name: ledger\n" });
    expect((await admin("/api/reconcile", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ allow_deletes: true }) })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded" });
    const ours = () => liveCredentials().then((all) => all.filter((c) => { const d = decodeMetadata(c.metadata); return d.kind === "managed" && d.marker.name === "ledger"; }));
    const [created] = await ours();
    // An older duplicate appears, and KV (eventually consistent) still shows a stale entry naming it.
    const seeded = (await emulator("POST", "/__emulator/seed", { credentials: [{ created_at: "2020-01-01T00:00:00.000Z", metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: "ledger" }) }] })) as { credentials: { id: string }[] };
    const stale = new TokenVault(new KvTokenStore(bindings.TOKENS), await importKeyring(bindings.TOKEN_ENCRYPTION_KEYS));
    await stale.store("ledger", seeded.credentials[0]!.id, "stale-view-of-the-token-0123");
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last).toMatchObject({ status: "succeeded" });
    // The credential whose token the run stored is kept; the duplicate goes.
    expect((await ours()).map((c) => c.id)).toEqual([created!.id]);
  });
});
