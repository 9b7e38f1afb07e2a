// GitHub's X-Hub-Signature-256 checked over the raw body bytes: one constant-time HMAC verify, no text round trip.

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const encoder = new TextEncoder();

/**
 * The imported HMAC key of the last secret seen. The secret only changes with a new deployment (a new isolate),
 * so a single entry is enough; a different secret replaces it rather than growing a cache.
 */
let imported: { secret: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(secret: string): Promise<CryptoKey> {
  if (imported?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    // A failed import is not kept: the next delivery tries again.
    key.catch(() => {
      if (imported?.key === key) imported = null;
    });
    imported = { secret, key };
  }
  return imported.key;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Whether `header` is GitHub's signature of exactly these bytes under `secret`. GitHub signs the bytes it sends,
 * so they are verified as received: decoding them to text first would turn invalid UTF-8 into U+FFFD and refuse
 * an authentic delivery (and cost a 1 MB re-encode). `crypto.subtle.verify` compares in constant time.
 * Only lowercase hex is GitHub's format; anything else, an empty secret or an empty body is refused unverified.
 */
export async function verifySignature(secret: string, body: ArrayBuffer | Uint8Array, header: string): Promise<boolean> {
  if (!secret || body.byteLength === 0 || !SIGNATURE.test(header)) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret), hexBytes(header.slice("sha256=".length)), body);
}
