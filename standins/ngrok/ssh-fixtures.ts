// Test fixtures: real OpenSSH public key lines (ed25519, rsa, ecdsa) built from node:crypto key pairs.
import { generateKeyPairSync } from "node:crypto";

const sshString = (bytes: Uint8Array): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, Buffer.from(bytes)]);
};
const text = (s: string): Buffer => sshString(Buffer.from(s, "utf8"));
const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? "", "base64url");
/** An SSH mpint: big-endian, with a leading zero when the top bit is set. */
const mpint = (raw: Buffer): Buffer => sshString((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), raw]) : raw);

export function ed25519PublicKey(comment = "ci@example.com"): { publicKey: string; privateKeyPem: string } {
  const pair = generateKeyPairSync("ed25519");
  const jwk = pair.publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([text("ssh-ed25519"), sshString(b64u(jwk.x))]);
  return { publicKey: `ssh-ed25519 ${blob.toString("base64")} ${comment}`, privateKeyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

export function rsaPublicKey(): string {
  const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([text("ssh-rsa"), mpint(b64u(jwk.e)), mpint(b64u(jwk.n))]);
  return `ssh-rsa ${blob.toString("base64")}`;
}

export function ecdsaPublicKey(): string {
  const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
  const blob = Buffer.concat([text("ecdsa-sha2-nistp256"), text("nistp256"), sshString(point)]);
  return `ecdsa-sha2-nistp256 ${blob.toString("base64")} host`;
}

/** The blob of `publicKey` under a different outer type name: the inner type no longer matches. */
export function mislabelled(publicKey: string, type: string): string {
  const [, blob] = publicKey.split(" ");
  return `${type} ${blob ?? ""}`;
}
