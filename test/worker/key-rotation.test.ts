// Encryption key rotation: after a new key is put first, POST /api/keys/rewrap queues a job that re-seals every stored token under it.
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { generateKeyringEntry, importKeyring, KvTokenStore, TokenVault } from "../../src/vault/index.js";
import { admin, bindings, reconciler } from "./support.js";

it("re-seals tokens stored under an older key, audited, and they still open", async () => {
  // Tokens stored under an old key that is now second in the ring.
  const oldEntry = generateKeyringEntry("old1");
  const oldVault = new TokenVault(new KvTokenStore(bindings.TOKENS), await importKeyring(oldEntry));
  await oldVault.store("rewrap-a", "cr_REWRAPA", "token-a-value-0123456789");
  await oldVault.store("rewrap-b", "cr_REWRAPB", "token-b-value-0123456789");
  const ring = `${bindings.TOKEN_ENCRYPTION_KEYS},${oldEntry}`;
  const queued = await runInDurableObject(reconciler(), async (instance) => {
    // The Durable Object's env is fixed for the test run: swap the keyring while the job is queued and run.
    const env = (instance as unknown as { env: Env }).env;
    const before = env.TOKEN_ENCRYPTION_KEYS;
    env.TOKEN_ENCRYPTION_KEYS = ring;
    try {
      await instance.enqueueRewrap("test");
      const keys = (await instance.status()).queued.map((q) => q.key);
      // The job runs from the alarm, between runs, never beside one.
      await instance.alarm();
      return keys;
    } finally {
      env.TOKEN_ENCRYPTION_KEYS = before;
    }
  });
  expect(queued).toContain("rewrap");
  expect((await reconciler().status()).queued).toEqual([]);
  const current = new TokenVault(new KvTokenStore(bindings.TOKENS), await importKeyring(bindings.TOKEN_ENCRYPTION_KEYS));
  expect(await current.read("rewrap-a")).toEqual({ name: "rewrap-a", id: "cr_REWRAPA", token: "token-a-value-0123456789" });
  const audit = (await (await admin("/api/audit?kind=key_rotation")).json()) as { entries: { result: string; detail: { rewrapped: number; failed: unknown[] } }[] };
  expect(audit.entries[0]).toMatchObject({ result: "done", detail: { failed: [] } });
  expect(audit.entries[0]!.detail.rewrapped).toBeGreaterThanOrEqual(2);
  expect(JSON.stringify(audit)).not.toContain("token-a-value");
  // The endpoint queues the job (202) behind the admin token.
  expect((await admin("/api/keys/rewrap", { method: "POST" })).status).toBe(202);
});
