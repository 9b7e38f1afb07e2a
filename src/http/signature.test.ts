// The webhook signature check: GitHub's HMAC of the bytes as sent, nothing else.
import { describe, expect, it } from "vitest";
import { signWebhook } from "../../standins/github/webhooks.js";
import { verifySignature } from "./signature.js";

const SECRET = "webhook-secret-for-the-signature-test";
const bytes = (text: string) => new TextEncoder().encode(text);

describe("verifySignature", () => {
  it("accepts GitHub's signature of the bytes, even bytes that are not valid UTF-8", async () => {
    const body = bytes('{"ok":true}');
    expect(await verifySignature(SECRET, body, await signWebhook(SECRET, body))).toBe(true);
    // A lone continuation byte: decoding to text would make it U+FFFD and the HMAC would no longer match.
    const raw = Uint8Array.from([...bytes('{"x":"'), 0x80, ...bytes('"}')]);
    expect(await verifySignature(SECRET, raw, await signWebhook(SECRET, raw))).toBe(true);
    expect(await verifySignature(SECRET, raw.buffer, await signWebhook(SECRET, raw))).toBe(true);
  });

  it("refuses another body, another secret, and any header that is not sha256= and 64 lowercase hex digits", async () => {
    const body = bytes('{"ok":true}');
    const good = await signWebhook(SECRET, body);
    expect(await verifySignature(SECRET, bytes('{"ok":false}'), good)).toBe(false);
    expect(await verifySignature(`${SECRET}x`, body, good)).toBe(false);
    for (const header of ["", good.slice(7), `sha256=${good.slice(7).toUpperCase()}`, `${good}0`, good.slice(0, -1), `sha1=${good.slice(7)}`, ` ${good}`]) {
      expect(await verifySignature(SECRET, body, header), header).toBe(false);
    }
  });

  it("refuses an empty body or an empty secret without verifying", async () => {
    expect(await verifySignature(SECRET, new Uint8Array(), await signWebhook(SECRET, ""))).toBe(false);
    expect(await verifySignature("", bytes("{}"), `sha256=${"0".repeat(64)}`)).toBe(false);
  });

  it("follows a changed secret (the key is cached per secret, not forever)", async () => {
    const body = bytes("{}");
    expect(await verifySignature("first-secret", body, await signWebhook("first-secret", body))).toBe(true);
    expect(await verifySignature("second-secret", body, await signWebhook("first-secret", body))).toBe(false);
    expect(await verifySignature("second-secret", body, await signWebhook("second-secret", body))).toBe(true);
    expect(await verifySignature("first-secret", body, await signWebhook("first-secret", body))).toBe(true);
  });
});
