// The ownership marker: a reserved key in a credential's metadata that says which installation owns it and why.
//
// Like external-dns's TXT registry, ownership lives in ngrok itself, so losing KV never makes us forget
// what we own. The metadata sent to ngrok is a JSON object: the user's mapping at the top level plus the
// reserved key; a user's string metadata travels inside the marker as `value`.

/** The reserved metadata key. Spec metadata may not use it. */
export const MARKER_KEY = "ngrok-gitops";

/** A nonce is 22 base64url characters (128 bits); the byte budget is checked with this length. */
export const NONCE_LENGTH = 22;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a spec says about metadata: nothing, a string, or a mapping. */
export type UserMetadata = null | string | { [key: string]: JsonValue };

export interface Marker {
  /** The installation's OWNER_ID. */
  owner: string;
  /** The spec name this credential realises. */
  name: string;
  /** Set on credentials we created: the write-ahead intent's nonce. Absent on imported ones. */
  nonce?: string;
  /**
   * `prevent_destroy` travels with the credential, so deleting the spec that protected it is refused
   * too: the protection must be lifted in a reviewed commit first.
   */
  protect?: true;
  /**
   * Set on the old credential of a rotation: it stays alive (its token still works) until this RFC 3339
   * time, then it is deleted. Tells it apart from a duplicate during the grace window.
   */
  retire?: string;
  /**
   * The spec's `expires` instant (ISO 8601 UTC), written only by an apply that ran while it was still ahead: when it
   * matures, the deletion was reviewed and applied in advance, so MAX_DELETES does not count it. A date that was
   * already past when its commit was applied never gets here, and its deletion counts.
   */
  expires?: string;
}

interface MarkerWire {
  owner: string;
  name: string;
  nonce?: string;
  protect?: true;
  retire?: string;
  expires?: string;
  value?: string;
}

/** The metadata string sent to ngrok for this user metadata and marker. */
export function encodeMetadata(user: UserMetadata, marker: Marker): string {
  const wire: MarkerWire = { owner: marker.owner, name: marker.name };
  if (marker.nonce !== undefined) wire.nonce = marker.nonce;
  if (marker.protect) wire.protect = true;
  if (marker.retire !== undefined) wire.retire = marker.retire;
  if (marker.expires !== undefined) wire.expires = marker.expires;
  if (typeof user === "string") wire.value = user;
  const top: { [key: string]: JsonValue } = user !== null && typeof user === "object" ? { ...user } : {};
  top[MARKER_KEY] = wire as unknown as JsonValue;
  return JSON.stringify(top);
}

export type DecodedMetadata =
  | { kind: "managed"; marker: Marker; user: UserMetadata }
  /** No marker: a credential we do not own (its metadata is kept opaque). */
  | { kind: "unmarked" };

/** A managed credential's metadata as parsed, before its user metadata is copied out (see userOf, sameUser). */
export interface ParsedMarker {
  marker: Marker;
  /** The parsed metadata object: the user's keys beside the reserved one. */
  parsed: Record<string, unknown>;
  /** A user's string metadata, which travels inside the marker. */
  value: string | undefined;
}

/** Reads a live credential's metadata. Anything that is not our well-formed marker is "unmarked". */
export function decodeMetadata(metadata: string | undefined): DecodedMetadata {
  const managed = decodeMarker(metadata);
  return managed === null ? { kind: "unmarked" } : { kind: "managed", marker: managed.marker, user: userOf(managed) };
}

/**
 * The marker of a live credential's metadata, or null when it is not our well-formed marker. The user's
 * metadata is left in place: the diff reads every managed credential of every plan, and most of them are
 * unchanged, so it compares in place (sameUser) and copies (userOf) only what a change shows.
 */
export function decodeMarker(metadata: string | undefined): ParsedMarker | null {
  if (!metadata) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    return null;
  }
  if (!isPlainObject(parsed)) return null;
  const wire = parsed[MARKER_KEY];
  if (!isPlainObject(wire) || typeof wire.owner !== "string" || typeof wire.name !== "string") return null;
  const marker: Marker = { owner: wire.owner, name: wire.name };
  if (typeof wire.nonce === "string") marker.nonce = wire.nonce;
  if (wire.protect === true) marker.protect = true;
  if (typeof wire.retire === "string") marker.retire = wire.retire;
  if (typeof wire.expires === "string") marker.expires = wire.expires;
  return { marker, parsed, value: typeof wire.value === "string" ? wire.value : undefined };
}

/** The user's metadata of a managed credential: its string value, else its keys other than the reserved one (null if none). */
export function userOf(managed: ParsedMarker): UserMetadata {
  if (managed.value !== undefined) return managed.value;
  const { parsed } = managed;
  const rest: { [key: string]: JsonValue } = {};
  let keys = 0;
  for (const key in parsed) {
    if (key === MARKER_KEY || !Object.hasOwn(parsed, key)) continue;
    // A live "__proto__" key (set outside us) is data: assigned, it would become the copy's prototype and vanish.
    if (key === "__proto__") Object.defineProperty(rest, key, { value: parsed[key], enumerable: true, writable: true, configurable: true });
    else rest[key] = parsed[key] as JsonValue;
    keys++;
  }
  return keys > 0 ? rest : null;
}

/** Whether userOf(managed) equals `user` as JSON (mapping key order aside), without building it. */
export function sameUser(managed: ParsedMarker, user: UserMetadata): boolean {
  if (managed.value !== undefined) return managed.value === user;
  if (typeof user === "string") return false;
  const { parsed } = managed;
  let keys = 0;
  for (const key in parsed) {
    if (key === MARKER_KEY || !Object.hasOwn(parsed, key)) continue;
    if (user === null || !Object.hasOwn(user, key) || !sameJson(parsed[key], user[key])) return false;
    keys++;
  }
  // No user keys live is null: equal only to null, not to an empty mapping.
  if (keys === 0) return user === null;
  if (user === null || Array.isArray(user)) return false;
  for (const key in user) if (Object.hasOwn(user, key)) keys--;
  return keys === 0;
}

/** Deep equality of JSON values where mapping key order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let keys = 0;
  for (const key in ra) {
    if (!Object.hasOwn(ra, key)) continue;
    if (!Object.hasOwn(rb, key) || !sameJson(ra[key], rb[key])) return false;
    keys++;
  }
  for (const key in rb) if (Object.hasOwn(rb, key)) keys--;
  return keys === 0;
}

const WORST_MARKER: Omit<Marker, "owner" | "name"> = { nonce: "x".repeat(NONCE_LENGTH), protect: true, retire: "2000-01-01T00:00:00.000Z" };
const WORST_MARKER_TAIL = `,"nonce":"${WORST_MARKER.nonce ?? ""}","protect":true,"retire":"${WORST_MARKER.retire ?? ""}"`;
/** An `expires` instant as the marker holds it (toISOString of a year 0000–9999: always 24 characters). */
const WORST_EXPIRES = "2000-01-01T00:00:00.000Z";
/** `"ngrok-gitops":`, the reserved key as it appears in the JSON (ASCII, nothing to escape). */
const MARKER_KEY_JSON_BYTES = MARKER_KEY.length + 3;

/**
 * The largest the marker can make this metadata: used to check the 4096-byte limit before anything is sent.
 * The bytes of encodeMetadata's string, counted without building it (every spec of a plan is measured):
 * the user's mapping as JSON, the reserved key, and the marker with its largest nonce and retire time (and its
 * `expires` instant when the spec sets one).
 */
export function worstCaseMetadataBytes(user: UserMetadata, owner: string, name: string, expires = false): number {
  const isMapping = user !== null && typeof user === "object";
  // The reserved key inside the user's mapping is refused by validation; measure such input the long way.
  if (isMapping && Object.hasOwn(user, MARKER_KEY)) return utf8Bytes(encodeMetadata(user, { owner, name, ...WORST_MARKER, ...(expires ? { expires: WORST_EXPIRES } : {}) }));
  const value = typeof user === "string" ? `,"value":${JSON.stringify(user)}` : "";
  const tail = expires ? `${WORST_MARKER_TAIL},"expires":"${WORST_EXPIRES}"` : WORST_MARKER_TAIL;
  const wire = utf8Bytes(`{"owner":${JSON.stringify(owner)},"name":${JSON.stringify(name)}${tail}${value}}`);
  const userJson = isMapping ? JSON.stringify(user) : "{}";
  // {"ngrok-gitops":wire} for no mapping; {user's pairs,"ngrok-gitops":wire} otherwise.
  return userJson === "{}" ? 2 + MARKER_KEY_JSON_BYTES + wire : utf8Bytes(userJson) + 1 + MARKER_KEY_JSON_BYTES + wire;
}

/**
 * The UTF-8 length of `text`, as TextEncoder would encode it (a lone surrogate becomes U+FFFD, 3 bytes),
 * counted without encoding for short strings: the plan measures every description and metadata, and a
 * fresh encoder plus a buffer per call was a tenth of the plan's time at 10,000 credentials. Long text
 * (whole files) is scanned natively for a character beyond ASCII and only then encoded, by one shared encoder: a
 * changed file's load no longer allocates a buffer of its size to learn what its length says.
 */
const encoder = new TextEncoder();
/** Above this many UTF-16 units the native encoder is faster than the loop, buffer and all. */
const NATIVE_FROM = 4096;

/** Any character beyond ASCII (one UTF-8 byte each below it). */
const NON_ASCII = /[^\u0000-\u007f]/;

export function utf8Bytes(text: string): number {
  if (text.length > NATIVE_FROM) return NON_ASCII.test(text) ? encoder.encode(text).length : text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: 2 UTF-16 units, 4 bytes.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

const decoder = new TextDecoder();

/**
 * The longest head of `text` of at most `maxBytes` bytes of UTF-8, cut between characters (never inside a
 * surrogate pair or a multi-byte sequence): how every byte cap (GitHub's, SQLite's) cuts a text.
 */
export function cutUtf8(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 bytes: a short text needs no encoding to know it fits.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back to the start of a character: UTF-8 continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

/** A fresh 128-bit nonce, base64url. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
