// An SSH credential's public_key: one OpenSSH authorized_keys line whose key data names its own type; never a private key.

export const SSH_KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"] as const;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** PEM and OpenSSH private keys ("-----BEGIN … PRIVATE KEY-----"), PuTTY's .ppk files. */
const PRIVATE = /PRIVATE KEY|PuTTY-User-Key-File/;

export type PublicKeyProblem = { code: "PRIVATE_KEY" | "INVALID_VALUE"; message: string };

/** Why `key` is not an SSH public key, or null when it is. No message ever quotes the value. */
export function publicKeyProblem(key: string): PublicKeyProblem | null {
  if (PRIVATE.test(key)) {
    return { code: "PRIVATE_KEY", message: "is a private key: it was not read further and is not repeated here. Put the public half (the .pub file) in public_key, keep the private key with the agent, and treat this one as exposed if it was ever committed" };
  }
  const invalid = (why: string): PublicKeyProblem => ({ code: "INVALID_VALUE", message: `is not an SSH public key: ${why}` });
  const lines = key.trim().split(/\r?\n/);
  if (lines.length !== 1) return invalid("expected one authorized_keys line");
  const [type, blob] = (lines[0] as string).split(/\s+/);
  if (type === undefined || blob === undefined || !(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return invalid(`expected "<type> <base64> [comment]" with type one of ${SSH_KEY_TYPES.join(", ")}`);
  }
  if (!BASE64.test(blob) || blob.length % 4 !== 0) return invalid("its key data is not base64");
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(blob), (ch) => ch.charCodeAt(0));
  } catch {
    return invalid("its key data is not base64");
  }
  if (bytes.length < 4) return invalid("its key data is truncated");
  const length = (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
  if (length < 1 || 4 + length > bytes.length) return invalid("its key data is truncated");
  const inner = new TextDecoder().decode(bytes.subarray(4, 4 + length));
  if (inner !== type) return invalid(`its key data is of another type than ${type}`);
  if (4 + length === bytes.length) return invalid("it carries no key material");
  return null;
}
