// GitHub App authentication for the fake: RS256 JWT verification as GitHub does it, and key/JWT helpers for tests.
import { fromBase64, toBase64, utf8 } from "./git-objects.js";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export interface AppKeyPair {
  /** PKCS#8 (`BEGIN PRIVATE KEY`), what WebCrypto imports directly. */
  readonly privateKeyPem: string;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`), the format GitHub hands out when you generate an App key. */
  readonly privateKeyPkcs1Pem: string;
  /** SPKI (`BEGIN PUBLIC KEY`), what `createFakeGitHub({ app: { publicKeyPem } })` takes. */
  readonly publicKeyPem: string;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
}

function pem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function pemBody(text: string, label: string): Uint8Array<ArrayBuffer> {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(text);
  if (!match?.[1]) throw new Error(`expected a PEM block labelled ${label}`);
  return fromBase64(match[1]);
}

/** Reads one DER TLV header at `offset`: returns where its content starts and how long it is. */
function derHeader(der: Uint8Array, offset: number): { start: number; length: number } {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { start: offset + 2, length: first };
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return { start: offset + 2 + count, length };
}

/** PKCS#8 PrivateKeyInfo = SEQUENCE { version, AlgorithmIdentifier, OCTET STRING(RSAPrivateKey) }: unwrap the last. */
function pkcs8ToPkcs1(pkcs8: Uint8Array): Uint8Array {
  const outer = derHeader(pkcs8, 0);
  const version = derHeader(pkcs8, outer.start);
  const algorithmAt = version.start + version.length;
  const algorithm = derHeader(pkcs8, algorithmAt);
  const keyAt = algorithm.start + algorithm.length;
  if (pkcs8[keyAt] !== 0x04) throw new Error("unexpected PKCS#8 layout");
  const key = derHeader(pkcs8, keyAt);
  return pkcs8.slice(key.start, key.start + key.length);
}

export async function generateAppKeyPair(): Promise<AppKeyPair> {
  // Some DOM/workerd typings widen generateKey to `CryptoKey | CryptoKeyPair`; RSA always yields a pair.
  const pair = (await crypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  return {
    privateKeyPem: pem("PRIVATE KEY", pkcs8),
    privateKeyPkcs1Pem: pem("RSA PRIVATE KEY", pkcs8ToPkcs1(pkcs8)),
    publicKeyPem: pem("PUBLIC KEY", spki),
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
  };
}

export function importAppPublicKey(publicKeyPem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", pemBody(publicKeyPem, "PUBLIC KEY"), RSA, false, ["verify"]);
}

function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

export interface AppJwtClaims {
  readonly iss: string | number;
  readonly iat: number;
  readonly exp: number;
}

/** Signs an App JWT the way @octokit/auth-app does; tests use it to forge bad claims on purpose. */
export async function signAppJwt(privateKey: CryptoKey | string, claims: AppJwtClaims): Promise<string> {
  const key =
    typeof privateKey === "string"
      ? await crypto.subtle.importKey("pkcs8", pemBody(privateKey, "PRIVATE KEY"), RSA, false, ["sign"])
      : privateKey;
  const header = base64url(utf8(JSON.stringify({ alg: "RS256", typ: "JWT" })));
  const payload = base64url(utf8(JSON.stringify(claims)));
  const signature = new Uint8Array(await crypto.subtle.sign(RSA, key, utf8(`${header}.${payload}`)));
  return `${header}.${payload}.${base64url(signature)}`;
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export type JwtVerdict = { ok: true; appId: number } | { ok: false; message: string };

/** GitHub tolerates this much clock drift on `iat`; octokit backdates `iat` by 30 s for the same reason. */
const ALLOWED_SKEW_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 600;

/** Checks an App JWT like GitHub: RS256, valid signature, `iss` = the App id, `iat` ≤ now, `exp` in (now, iat + 10 min]. */
export async function verifyAppJwt(
  token: string,
  appId: number,
  key: CryptoKey,
  nowSeconds: number,
): Promise<JwtVerdict> {
  const undecodable: JwtVerdict = { ok: false, message: "A JSON web token could not be decoded" };
  const [headerPart, payloadPart, signaturePart] = token.split(".");
  if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined) return undecodable;
  let header: unknown;
  let claims: unknown;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    header = JSON.parse(new TextDecoder().decode(fromBase64url(headerPart)));
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payloadPart)));
    signature = fromBase64url(signaturePart);
  } catch {
    return undecodable;
  }
  if (!isRecord(header) || header["alg"] !== "RS256" || !isRecord(claims)) return undecodable;
  const valid = await crypto.subtle.verify(RSA, key, signature, utf8(`${headerPart}.${payloadPart}`));
  if (!valid) return { ok: false, message: "A JSON web token could not be decoded" };
  const { iss, iat, exp } = claims;
  if (String(iss) !== String(appId)) {
    return { ok: false, message: "'Issuer' claim ('iss') must be an Integer or a String identifying the App" };
  }
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowSeconds + ALLOWED_SKEW_SECONDS) {
    return {
      ok: false,
      message: "'Issued at' claim ('iat') must be an Integer representing a time in the past",
    };
  }
  if (typeof exp !== "number" || !Number.isInteger(exp) || exp <= nowSeconds) {
    return {
      ok: false,
      message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    };
  }
  if (exp - iat > MAX_LIFETIME_SECONDS || exp > nowSeconds + MAX_LIFETIME_SECONDS + ALLOWED_SKEW_SECONDS) {
    return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  }
  return { ok: true, appId };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
