// The webhook endpoint over HTTP in workerd: what its signature covers (the bytes GitHub sent) and how an authentic but unusable body is answered.
import { runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_IDS_KEPT, WebhookIds } from "../../src/reconciler/ledgers.js";
import { WEBHOOK_SETTLE_MS } from "../../src/reconciler/reconciler.js";
import { signWebhook } from "../../standins/github/webhooks.js";
import { TEST_SECRETS } from "../support/test-env.js";
import { admin, commit, deliver, freshWorld, pullRequestPayload, pushPayload, reconciler, settle } from "./support.js";

let base: string;
beforeAll(async () => {
  base = (await freshWorld()).base;
});

const post = async (event: string, body: Uint8Array) =>
  SELF.fetch("http://worker/webhooks/github", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": `webhook-${crypto.randomUUID()}`, "X-Hub-Signature-256": await signWebhook(TEST_SECRETS.GITHUB_WEBHOOK_SECRET, body) },
    body,
  });

describe("webhook signature and body", () => {
  it("a signed body that is not UTF-8 is authentic but malformed: 400, not 401, and nothing is queued", async () => {
    const text = JSON.stringify(pushPayload(base, base));
    // A lone continuation byte inside a string value: GitHub signed these bytes, but they are not JSON text.
    const at = text.indexOf('"ref"');
    const body = Uint8Array.from([...new TextEncoder().encode(text.slice(0, at)), ...new TextEncoder().encode('"x":"'), 0x80, ...new TextEncoder().encode('",'), ...new TextEncoder().encode(text.slice(at))]);
    const res = await post("push", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "malformed JSON body" });
    expect((await settle()).queued).toEqual([]);
    expect((await reconciler().status()).last).toBeNull();
  });

  it("the same push, valid UTF-8 and signed, is queued: 202", async () => {
    const res = await post("push", new TextEncoder().encode(JSON.stringify(pushPayload(base, base))));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ queued: true });
  });
});

describe("delivery ids", () => {
  it("keeps exactly the newest WEBHOOK_IDS_KEPT: a replay of the oldest kept is a duplicate, one older is forgotten", async () => {
    await runInDurableObject(reconciler(), (_instance, state) => {
      const ids = new WebhookIds(state.storage.sql);
      const count = () => Number(state.storage.sql.exec("SELECT count(*) AS n FROM deliveries").one().n);
      const start = count();
      for (let i = 0; i < WEBHOOK_IDS_KEPT - start; i++) expect(ids.remember(`kept-${i}`)).toBe(true);
      expect(count()).toBe(WEBHOOK_IDS_KEPT);
      expect(ids.remember("kept-0")).toBe(false);
      expect(ids.remember("one-more")).toBe(true);
      expect(count()).toBe(WEBHOOK_IDS_KEPT);
      // The oldest went (the earlier test's deliveries first, when there were any), the newest stay.
      expect(ids.remember("one-more")).toBe(false);
      expect(ids.remember(`kept-${WEBHOOK_IDS_KEPT - start - 1}`)).toBe(false);
      expect(ids.remember("kept-1")).toBe(false);
    });
  });

  it("forgets the oldest once WEBHOOK_IDS_KEPT newer ones arrived", async () => {
    await runInDurableObject(reconciler(), (_instance, state) => {
      const ids = new WebhookIds(state.storage.sql);
      expect(ids.remember("oldest")).toBe(true);
      for (let i = 0; i < WEBHOOK_IDS_KEPT; i++) ids.remember(`newer-${i}`);
      expect(ids.remember("newer-0")).toBe(false);
      expect(ids.remember("oldest")).toBe(true);
    });
  });
});

describe("when a webhook's run starts", () => {
  const alarm = () => runInDurableObject(reconciler(), (_instance, state) => state.storage.getAlarm());
  /**
   * Queues a push in one Durable Object call and reads the alarm it set, then holds that alarm ten minutes out:
   * however slow this machine is, nothing fires between the checks below, and settle() runs it when asked.
   */
  const queueAndHold = (sha: string) =>
    runInDurableObject(reconciler(), async (instance, state) => {
      const before = Date.now();
      const result = await instance.enqueue({ cause: "push", mode: "apply", sha, delivery: `hold-${crypto.randomUUID()}` });
      const scheduled = await state.storage.getAlarm();
      await state.storage.setAlarm(Date.now() + 600_000);
      return { before, result, scheduled, held: await state.storage.getAlarm() };
    });

  it("WEBHOOK_SETTLE_MS after the first delivery; deliveries meanwhile keep that time and make one run of the newest head", async () => {
    await settle();
    expect(await alarm()).toBeNull();
    const runs = (await reconciler().status()).last?.id ?? 0;
    const first = await commit("main", { "README.md": "first\n" });
    const second = await commit("main", { "README.md": "second\n" });
    const { before, result, scheduled, held } = await queueAndHold(first.sha);
    expect(result.queued).toBe(true);
    expect(scheduled).not.toBeNull();
    expect(scheduled!).toBeGreaterThanOrEqual(before + WEBHOOK_SETTLE_MS);
    expect((await deliver("push", pushPayload(second.sha, first.sha))).status).toBe(202);
    expect((await deliver("pull_request", pullRequestPayload("opened", 4, second.sha, first.sha))).status).toBe(202);
    expect(await alarm()).toBe(held);
    const status = await settle();
    // One apply (of the newest head) and the PR's plan: not one run per delivery.
    expect(status.last?.id).toBe(runs + 2);
  });

  it("at once for an operator's request, and a pending webhook alarm is kept, not moved", async () => {
    await settle();
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    // Due now: it may even have fired already.
    const due = await alarm();
    expect(due === null || due <= Date.now(), String(due)).toBe(true);
    await settle();
    const { held } = await queueAndHold(base);
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect(await alarm()).toBe(held);
    await settle();
  });
});
