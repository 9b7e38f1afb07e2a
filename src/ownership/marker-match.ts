// A live credential's metadata recognised as exactly the string encodeMetadata gives its spec, without JSON.parse.
//
// The diff reads every live credential of every plan, and almost all of them are unchanged: their metadata is the
// very string an earlier apply sent. Equality with the string we would generate is sound (it decodes to exactly the
// marker and user metadata it was made of), so it is checked piece by piece in place, building nothing but the user
// mapping's JSON; any other string, however close, is left to decodeMarker.
import { MARKER_KEY, NONCE_LENGTH, type JsonValue, type UserMetadata } from "./marker.js";

const NONCE_KEY = ',"nonce":"';
const PROTECT = ',"protect":true';
const EXPIRES_KEY = ',"expires":"';
const VALUE_KEY = ',"value":';
/**
 * What JSON.stringify escapes, and a surrogate: a string with none of these but quotes is written as it is between
 * quotes (a surrogate pair is written as it is too, but a lone one is escaped: both are left to decodeMarker).
 */
const ESCAPED = /[\\\u0000-\u001f\ud800-\udfff]/;

/** The reserved key and the owner as encodeMetadata writes them, up to the name's opening quote (one per diff). */
export function markerPrefix(owner: string): string {
  return `"${MARKER_KEY}":{"owner":${JSON.stringify(owner)},"name":"`;
}

/** The spec's side of the match: what encodeMetadata is given beside the nonce (a retiring marker is never matched). */
export interface ExpectedMarker {
  user: UserMetadata;
  /** markerPrefix(owner). */
  prefix: string;
  name: string;
  protect: boolean;
  expires: string | undefined;
}

/**
 * Whether `live` is exactly encodeMetadata(user, { owner, name, protect, expires }), answering `undefined`, or the
 * same with a nonce of 22 base64url characters, answering the nonce; null for any other string. A match decodes
 * (decodeMarker) to that marker and to user metadata JSON-equal to `user`, for any JSON `user`.
 */
export function matchMetadata(live: string, expected: ExpectedMarker): string | undefined | null {
  const { user, prefix, name, expires } = expected;
  // Nothing escaped anywhere: every string in it is then its text between quotes, compared as it is.
  if (live.charCodeAt(0) !== 123 || ESCAPED.test(live)) return null;
  let pos = 1;
  if (user !== null && typeof user === "object") {
    // Only a plain mapping is written as JSON.stringify writes its pairs, beside the reserved key.
    const proto: unknown = Object.getPrototypeOf(user);
    if ((proto !== Object.prototype && proto !== null) || Array.isArray(user) || Object.hasOwn(user, MARKER_KEY) || typeof user.toJSON === "function") return null;
    pos = pairsEnd(live, user);
    if (pos < 0) return null;
  }
  if (!has(live, pos, prefix)) return null;
  pos = stringEnd(live, pos + prefix.length - 1, name);
  if (pos < 0) return null;
  let nonce: string | undefined;
  if (has(live, pos, NONCE_KEY)) {
    const from = pos + NONCE_KEY.length;
    const to = from + NONCE_LENGTH;
    if (live.charCodeAt(to) !== 34) return null;
    for (let i = from; i < to; i++) if (!isBase64Url(live.charCodeAt(i))) return null;
    nonce = live.slice(from, to);
    pos = to + 1;
  }
  if (expected.protect) {
    if (!has(live, pos, PROTECT)) return null;
    pos += PROTECT.length;
  }
  if (expires !== undefined) {
    if (!has(live, pos, EXPIRES_KEY)) return null;
    pos = stringEnd(live, pos + EXPIRES_KEY.length - 1, expires);
    if (pos < 0) return null;
  }
  if (typeof user === "string") {
    const value = JSON.stringify(user);
    if (!has(live, pos, VALUE_KEY) || !has(live, pos + VALUE_KEY.length, value)) return null;
    pos += VALUE_KEY.length + value.length;
  }
  return live.length === pos + 2 && live.charCodeAt(pos) === 125 && live.charCodeAt(pos + 1) === 125 ? nonce : null;
}

/**
 * Where the user's pairs end in `live` (after the comma before the reserved key), written as JSON.stringify writes
 * them, in its order; -1 when they differ, or when there are none (an empty mapping decodes as no metadata, which
 * sameUser tells apart from {}: left to decodeMarker). `live` holds nothing escaped (see ESCAPED).
 */
function pairsEnd(live: string, user: { [key: string]: JsonValue }): number {
  let pos = 1;
  let keys = 0;
  for (const key in user) {
    if (!Object.hasOwn(user, key)) continue;
    keys++;
    pos = stringEnd(live, pos, key);
    if (pos < 0 || live.charCodeAt(pos) !== 58) return -1;
    pos++;
    const value = user[key];
    if (typeof value === "string") pos = stringEnd(live, pos, value);
    else {
      // A number as JSON.stringify writes a finite one; anything nested, as it writes it.
      const text = value === null ? "null" : value === true ? "true" : value === false ? "false" : typeof value === "number" ? (Number.isFinite(value) ? String(value) : undefined) : typeof value === "object" ? JSON.stringify(value) : undefined;
      if (text === undefined || !has(live, pos, text)) return -1;
      pos += text.length;
    }
    if (pos < 0 || live.charCodeAt(pos) !== 44) return -1;
    pos++;
  }
  return keys === 0 ? -1 : pos;
}

/** Where `text`, quoted at `pos`, ends in `live` (after its closing quote); -1 when it is not there. `live` holds nothing escaped. */
function stringEnd(live: string, pos: number, text: string): number {
  if (live.charCodeAt(pos) !== 34 || text.includes('"') || !has(live, pos + 1, text) || live.charCodeAt(pos + 1 + text.length) !== 34) return -1;
  return pos + text.length + 2;
}

/**
 * The name the marker of `live` seems to carry (after the last `prefix`, see markerPrefix), to find the spec to match
 * it against; undefined when it has none. A guess only: matchMetadata decides.
 */
export function markedName(live: string, prefix: string): string | undefined {
  const at = live.lastIndexOf(prefix);
  if (at < 0) return undefined;
  const start = at + prefix.length;
  const end = live.indexOf('"', start);
  return end < 0 ? undefined : live.slice(start, end);
}

/** live.startsWith(text, pos), as a slice compared whole: several times faster in V8 for these short strings. */
function has(live: string, pos: number, text: string): boolean {
  return live.slice(pos, pos + text.length) === text;
}

function isBase64Url(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
}
