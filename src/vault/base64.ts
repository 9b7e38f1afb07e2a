// Base64 for binary keys and ciphertexts with the runtime-neutral atob/btoa (no Node Buffer: this runs in workerd).

const STANDARD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LENIENT = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict standard base64 with padding, as `encodeBase64` writes it; null when the text is not that. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!STANDARD.test(text)) return null;
  return fromBinary(atob(text));
}

/**
 * Operator-supplied keys: standard or URL-safe alphabet, padding optional, because people paste what
 * `openssl rand -base64 32` or a password manager gives them; the byte-length check that follows is the real gate.
 */
export function decodeBase64Lenient(text: string): Uint8Array<ArrayBuffer> | null {
  if (!LENIENT.test(text)) return null;
  const unpadded = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (unpadded.length % 4 === 1) return null;
  const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
  // The checks above leave atob nothing to reject.
  return fromBinary(atob(padded));
}

function fromBinary(binary: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
