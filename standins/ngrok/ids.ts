// KSUID-like identifiers and ngrok-shaped tokens for the emulator, built on crypto.getRandomValues.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** KSUID epoch (2014-05-13T16:53:20Z): timestamps are seconds since it, as in segmentio/ksuid. */
const KSUID_EPOCH_SECONDS = 1_400_000_000;
const KSUID_CHARS = 27;
const PAYLOAD_BITS = 128n;

/** Uniform base62 characters: bytes ≥ 248 are rejected so `% 62` carries no bias. */
export function randomBase62(length: number): string {
  let out = "";
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    for (const byte of buf) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

function encodeBase62(value: bigint, width: number): string {
  let out = "";
  let rest = value;
  while (rest > 0n) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, "0");
}

function randomPayload(): bigint {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * A KSUID source whose values strictly increase: base62 of (seconds since the KSUID epoch, 128 random
 * bits), bumped past the previous value when the clock has not moved, so ids sort in creation order
 * and the list's descending-id order is newest first.
 */
export class KsuidSource {
  private last = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    const seconds = BigInt(Math.max(0, Math.floor(this.now() / 1000) - KSUID_EPOCH_SECONDS));
    let value = (seconds << PAYLOAD_BITS) | randomPayload();
    if (value <= this.last) value = this.last + 1n;
    this.last = value;
    return encodeBase62(value, KSUID_CHARS);
  }
}

/** The token of the reference example is the credential's KSUID, "_", and 25 random base62 chars. */
export function tokenFor(ksuid: string): string {
  return `${ksuid}_${randomBase62(25)}`;
}

export function operationId(): string {
  return `op_${randomBase62(KSUID_CHARS)}`;
}

/** RFC 3339 at second precision with `Z`, like the reference's `2023-07-31T23:17:18Z`. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
