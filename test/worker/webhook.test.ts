// The webhook endpoint over HTTP in workerd: what its signature covers (the bytes GitHub sent) and how an authentic but unusable body is answered.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../standins/github/webhooks.js";
import { TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, pushPayload, reconciler, settle } from "./support.js";

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
