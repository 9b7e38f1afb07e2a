// GitHub hands out App keys as PKCS#1 ("BEGIN RSA PRIVATE KEY"); WebCrypto in workerd imports only PKCS#8. Wrap, don't ask users to convert.

const RSA_ALGORITHM_IDENTIFIER = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/** A PKCS#8 PEM for the given key: a PKCS#1 RSA key is wrapped (PrivateKeyInfo), anything else is returned as is. */
export function toPkcs8Pem(pem: string): string {
  const text = pem.replace(/\\n/g, "\n").trim();
  const match = /^-----BEGIN RSA PRIVATE KEY-----([\s\S]+?)-----END RSA PRIVATE KEY-----$/.exec(text);
  if (!match) return text;
  const pkcs1 = Uint8Array.from(atob((match[1] ?? "").replace(/\s/g, "")), (c) => c.charCodeAt(0));
  const body = [0x02, 0x01, 0x00, ...RSA_ALGORITHM_IDENTIFIER, 0x04, ...derLength(pkcs1.length), ...pkcs1];
  const der = Uint8Array.from([0x30, ...derLength(body.length), ...body]);
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const base64 = btoa(binary).replace(/(.{64})/g, "$1\n").trim();
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----`;
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
