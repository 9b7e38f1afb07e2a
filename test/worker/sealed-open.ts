// Test-only: a key pair of the test's own installed in the GitHub stand-in, and crypto_box_seal_open with it, so a test sees what the Worker delivered while the stand-in never shows a value.
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { boxKey } from "../../src/github/sealed-box.js";
import { decodeBase64 } from "../../src/vault/base64.js";
import { github } from "./support.js";

const X25519 = { name: "X25519" } as const;

export interface SecretOpener {
  /** The plaintext of a sealed box sent to the installed key (throws when it does not open). */
  open(encryptedValue: string): Promise<string>;
}

/**
 * Makes an X25519 key pair here and installs its secret key in the stand-in through `path` (a `.../secrets/rotate-key`
 * control route, with `body`, e.g. `{environment}`): from then on the Worker seals to the test's key.
 */
export async function installSecretKey(path: string, body: Record<string, string> = {}): Promise<SecretOpener> {
  const pair = (await crypto.subtle.generateKey(X25519, true, ["deriveBits"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const d = (jwk.d ?? "").replaceAll("-", "+").replaceAll("_", "/");
  const recipient = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  await github("POST", path, { ...body, private_key: d.padEnd(Math.ceil(d.length / 4) * 4, "=") });
  return {
    async open(encryptedValue) {
      const sealed = decodeBase64(encryptedValue);
      if (sealed === null || sealed.length < 48) throw new Error("not a sealed box");
      const ephemeral = sealed.slice(0, 32);
      const peer = await crypto.subtle.importKey("raw", ephemeral, X25519, true, []);
      const shared = new Uint8Array(await crypto.subtle.deriveBits({ ...X25519, public: peer } as never, pair.privateKey, 256));
      const nonce = blake2b(new Uint8Array([...ephemeral, ...recipient]), { dkLen: 24 });
      return new TextDecoder().decode(xsalsa20poly1305(boxKey(shared), nonce).decrypt(sealed.slice(32)));
    },
  };
}
