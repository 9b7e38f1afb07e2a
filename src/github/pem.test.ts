// A PKCS#1 App key as GitHub downloads it becomes exactly the PKCS#8 key Node would export, and signs.
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { expect, it } from "vitest";
import { toPkcs8Pem } from "./pem.js";

it("wraps PKCS#1 into the same PKCS#8 Node exports, and leaves PKCS#8 alone", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString().trim();
  expect(toPkcs8Pem(pkcs1)).toBe(pkcs8);
  expect(toPkcs8Pem(pkcs8)).toBe(pkcs8);
  // Pasted into a secret with literal "\n" sequences, as often happens.
  expect(toPkcs8Pem(pkcs1.replace(/\n/g, "\\n"))).toBe(pkcs8);
  const der = Buffer.from(toPkcs8Pem(pkcs1).replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  expect(key.type).toBe("private");
  expect(createPrivateKey(toPkcs8Pem(pkcs1)).asymmetricKeyType).toBe("rsa");
});
