// An item's checks beyond the schema: UTF-8 byte limits, reserved metadata keys, real dates, conflicting fields.
import { DESCRIPTION_MAX_BYTES, METADATA_MAX_BYTES } from "../ngrok/types.js";
import { MARKER_KEY, utf8Bytes, worstCaseMetadataBytes, type UserMetadata } from "../ownership/marker.js";
import { fieldPath, type At, type Pos, type SpecError, type SpecErrorCode } from "./errors.js";
import { EXPIRES_PATTERN, parseExpires } from "./expires.js";

/**
 * The checks beyond the schema: UTF-8 byte limits, reserved metadata keys, real dates, conflicting fields.
 * They read the raw item, so they run (and report) whether or not the schema accepted it.
 */
export function itemChecks(item: unknown, base: (string | number)[], ownerId: string, pos: Pos, at: At): SpecError[] {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return [];
  const raw = item as Record<string, unknown>;
  const out: SpecError[] = [];
  const place = (code: SpecErrorCode, path: (string | number)[], message: string, atKey = false) => {
    const p = pos([...base, ...path], atKey);
    out.push(at(code, p.line, p.column, fieldPath([...base, ...path]), message));
  };
  if (typeof raw.description === "string") {
    const bytes = utf8Bytes(raw.description);
    if (bytes > DESCRIPTION_MAX_BYTES) place("TOO_LONG", ["description"], `is ${bytes} bytes (UTF-8); the limit is ${DESCRIPTION_MAX_BYTES}`);
  }
  const metadata = raw.metadata;
  const protoAt = metadata !== null && typeof metadata === "object" ? protoKeyPath(metadata) : null;
  if (metadata !== null && typeof metadata === "object" && !Array.isArray(metadata) && MARKER_KEY in metadata) {
    place("RESERVED_KEY", ["metadata", MARKER_KEY], `"${MARKER_KEY}" is reserved for the ownership marker`, true);
  } else if (protoAt !== null) {
    // JavaScript reads it as the object's prototype: the schema and every JSON copy would drop it without a word.
    place("RESERVED_KEY", ["metadata", ...protoAt], `"__proto__" cannot be a metadata key: JavaScript reads it as an object's prototype, so it would not be kept as data; rename it`, true);
  } else if (typeof metadata === "string" || (metadata !== null && typeof metadata === "object" && !Array.isArray(metadata))) {
    const sent = worstCaseMetadataBytes(metadata as UserMetadata, ownerId, typeof raw.name === "string" ? raw.name : "", raw.expires !== undefined);
    if (sent > METADATA_MAX_BYTES) place("TOO_LONG", ["metadata"], `is ${sent} bytes as sent (UTF-8 JSON, ownership marker included); the limit is ${METADATA_MAX_BYTES}`);
  }
  if (typeof raw.expires === "string" && EXPIRES_PATTERN.test(raw.expires) && parseExpires(raw.expires) === null) {
    place("INVALID_VALUE", ["expires"], `${JSON.stringify(raw.expires)} is not a real date or time`);
  }
  if (raw.prevent_destroy === true && raw.expires !== undefined) {
    place("CONFLICTING_FIELDS", ["prevent_destroy"], "prevent_destroy and expires cannot both be set: an expiring credential is deleted on its date; remove one of them");
  }
  return out;
}

/** The path to the first `__proto__` key in a metadata value (own keys only; YAML parsers keep it as data), or null. */
function protoKeyPath(value: object): (string | number)[] | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const inner = item !== null && typeof item === "object" ? protoKeyPath(item) : null;
      if (inner !== null) return [i, ...inner];
    }
    return null;
  }
  if (Object.hasOwn(value, "__proto__")) return ["__proto__"];
  for (const [key, item] of Object.entries(value)) {
    const inner = item !== null && typeof item === "object" ? protoKeyPath(item as object) : null;
    if (inner !== null) return [key, ...inner];
  }
  return null;
}
