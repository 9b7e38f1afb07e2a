// sealTo against libsodium itself: what it seals, crypto_box_seal_open opens, and only with the right key.
import sodium from "libsodium-wrappers";
import { beforeAll, describe, expect, it } from "vitest";
import { SealedBoxError, sealTo } from "./sealed-box.js";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

beforeAll(async () => {
  await sodium.ready;
});

describe("sealTo", () => {
  it("produces a sealed box that libsodium's crypto_box_seal_open opens to the message", async () => {
    const recipient = sodium.crypto_box_keypair();
    for (const message of ["", "x", "2abcDEF_ngrok-authtoken_0123456789abcdefghijklmnop", "ünïcødé ✓ ".repeat(50), "a".repeat(10_000)]) {
      const sealed = unb64(await sealTo(b64(recipient.publicKey), message));
      // ephemeral public key (32) + Poly1305 tag (16) + ciphertext
      expect(sealed.length).toBe(32 + 16 + new TextEncoder().encode(message).length);
      expect(sodium.crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey, "text")).toBe(message);
    }
  });

  it("uses a fresh ephemeral key each time, so sealing the same message twice gives different ciphertexts", async () => {
    const recipient = sodium.crypto_box_keypair();
    const seen = new Set<string>();
    const ephemeral = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const sealed = await sealTo(b64(recipient.publicKey), "same token");
      seen.add(sealed);
      ephemeral.add(b64(unb64(sealed).subarray(0, 32)));
      expect(sodium.crypto_box_seal_open(unb64(sealed), recipient.publicKey, recipient.privateKey, "text")).toBe("same token");
    }
    expect(seen.size).toBe(5);
    expect(ephemeral.size).toBe(5);
  });

  it("does not open with another key pair, nor after one byte is flipped", async () => {
    const recipient = sodium.crypto_box_keypair();
    const other = sodium.crypto_box_keypair();
    const sealed = unb64(await sealTo(b64(recipient.publicKey), "secret token"));
    expect(() => sodium.crypto_box_seal_open(sealed, other.publicKey, other.privateKey)).toThrow();
    for (const index of [0, 31, 32, 47, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[index] = (tampered[index] ?? 0) ^ 1;
      expect(() => sodium.crypto_box_seal_open(tampered, recipient.publicKey, recipient.privateKey)).toThrow();
    }
  });

  it("never carries the plaintext in its output", async () => {
    const recipient = sodium.crypto_box_keypair();
    const token = "plain-token-that-must-not-leak";
    const sealed = await sealTo(b64(recipient.publicKey), token);
    expect(sealed).not.toContain(token);
    expect(Buffer.from(sealed, "base64").toString("latin1")).not.toContain(token);
  });

  it("rejects a public key that is not 32 bytes of standard base64, with a typed error", async () => {
    const tooShort = b64(new Uint8Array(31).fill(9));
    await expect(sealTo(tooShort, "t")).rejects.toMatchObject({ code: "SEALED_BOX_INVALID_PUBLIC_KEY", name: "SealedBoxError" });
    await expect(sealTo("not base64!", "t")).rejects.toBeInstanceOf(SealedBoxError);
    await expect(sealTo(b64(new Uint8Array(33)), "t")).rejects.toThrow(/33 bytes/);
  });

  it("rejects a low-order public key (an all-zero shared secret) as libsodium does", async () => {
    await expect(sealTo(b64(new Uint8Array(32)), "t")).rejects.toBeInstanceOf(SealedBoxError);
  });
});
