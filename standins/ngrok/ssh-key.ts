// SSH public key validation for /ssh_credentials: an OpenSSH authorized_keys line whose blob names the same key type.

const KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why `key` is not an acceptable SSH public key, or undefined when it is. The reason never quotes the key. */
export function sshPublicKeyProblem(key: string): string | undefined {
  if (/PRIVATE KEY/.test(key)) return "The value provided for public_key is a private key. Supply the public half only (the .pub file); the private key was not stored.";
  const parts = key.trim().split(/\s+/);
  const [type, blob] = parts;
  if (type === undefined || blob === undefined || !KEY_TYPES.includes(type)) {
    return `The value provided for public_key is not an SSH public key: expected "<type> <base64> [comment]" with type one of ${KEY_TYPES.join(", ")}.`;
  }
  if (!BASE64.test(blob) || blob.length % 4 !== 0) return "The value provided for public_key is not an SSH public key: its key data is not base64.";
  const bytes = Uint8Array.from(atob(blob), (ch) => ch.charCodeAt(0));
  if (bytes.length < 4) return "The value provided for public_key is not an SSH public key: its key data is truncated.";
  const len = ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (len < 1 || 4 + len > bytes.length) return "The value provided for public_key is not an SSH public key: its key data is truncated.";
  const inner = new TextDecoder().decode(bytes.subarray(4, 4 + len));
  if (inner !== type) return `The value provided for public_key is not a valid SSH public key: its key data is of type ${JSON.stringify(inner.slice(0, 40))}, not ${type}.`;
  if (4 + len === bytes.length) return "The value provided for public_key is not an SSH public key: it carries no key material.";
  return undefined;
}
