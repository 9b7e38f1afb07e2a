// The ownership marker round-trips every kind of user metadata and never mistakes foreign metadata for ours.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sameJson } from "../plan/diff.js";
import { decodeMetadata, encodeMetadata, MARKER_KEY, newNonce, NONCE_LENGTH, utf8Bytes, worstCaseMetadataBytes, type JsonValue } from "./marker.js";

const marker = { owner: "acme-prod", name: "ci-runners", nonce: "n".repeat(NONCE_LENGTH), protect: true as const };

describe("ownership marker", () => {
  it("keeps a mapping's keys at the top level beside the reserved key", () => {
    const sent = encodeMetadata({ team: "platform", tier: 1 }, marker);
    expect(JSON.parse(sent)).toEqual({ team: "platform", tier: 1, [MARKER_KEY]: { owner: "acme-prod", name: "ci-runners", nonce: marker.nonce, protect: true } });
    expect(decodeMetadata(sent)).toEqual({ kind: "managed", marker, user: { team: "platform", tier: 1 } });
  });

  it("round-trips string and empty metadata, and imports without a nonce", () => {
    expect(decodeMetadata(encodeMetadata("free text", marker))).toEqual({ kind: "managed", marker, user: "free text" });
    expect(decodeMetadata(encodeMetadata(null, { owner: "o", name: "n" }))).toEqual({ kind: "managed", marker: { owner: "o", name: "n" }, user: null });
    // "" is a string the user chose; it must not collapse into "no metadata".
    expect(decodeMetadata(encodeMetadata("", marker))).toEqual({ kind: "managed", marker, user: "" });
  });

  it("treats anything else as unmarked", () => {
    for (const foreign of [undefined, "", "not json", "[1,2]", '"str"', '{"device_id":"d5111ba7"}', `{"${MARKER_KEY}":"x"}`, `{"${MARKER_KEY}":{"owner":1,"name":"a"}}`]) {
      expect(decodeMetadata(foreign)).toEqual({ kind: "unmarked" });
    }
  });

  it("budgets the largest nonce and counts bytes", () => {
    expect(worstCaseMetadataBytes("é", "o", "n")).toBe(new TextEncoder().encode(encodeMetadata("é", { owner: "o", name: "n", nonce: "x".repeat(NONCE_LENGTH), protect: true, retire: "2000-01-01T00:00:00.000Z" })).length);
    const nonce = newNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newNonce()).not.toBe(nonce);
  });
});

describe("decodeMetadata keeps a live __proto__ key as data", () => {
  it("so a credential edited outside us to carry one differs from its spec", () => {
    const live = '{"__proto__":{"team":"x"},"tier":1,"ngrok-gitops":{"owner":"o","name":"n"}}';
    const decoded = decodeMetadata(live);
    if (decoded.kind !== "managed" || decoded.user === null || typeof decoded.user !== "object") throw new Error("not a managed mapping");
    expect(Object.keys(decoded.user)).toEqual(["__proto__", "tier"]);
    expect(Object.getPrototypeOf(decoded.user)).toBe(Object.prototype);
    expect(sameJson(decoded.user, { tier: 1 })).toBe(false);
    // And it goes back out unchanged.
    expect(JSON.parse(encodeMetadata(decoded.user, { owner: "o", name: "n" }))).toEqual(JSON.parse(live));
  });
});

describe("worstCaseMetadataBytes", () => {
  it("equals the bytes of the encoded metadata with the largest nonce and a retire time, for any metadata", () => {
    const slow = (user: Parameters<typeof worstCaseMetadataBytes>[0], owner: string, name: string) =>
      new TextEncoder().encode(encodeMetadata(user, { owner, name, nonce: "x".repeat(NONCE_LENGTH), protect: true, retire: "2000-01-01T00:00:00.000Z" })).length;
    const text = fc.string({ unit: "binary", maxLength: 30 });
    const user = fc.oneof(fc.constant(null), text, fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) as fc.Arbitrary<{ [key: string]: JsonValue }>);
    fc.assert(
      fc.property(user, text, text, (u, owner, name) => worstCaseMetadataBytes(u, owner, name) === slow(u, owner, name)),
      { numRuns: 3_000 },
    );
    const cases: Array<Parameters<typeof worstCaseMetadataBytes>[0]> = [null, "", "é", {}, { a: 1 }, { [MARKER_KEY]: "x" }, JSON.parse('{"__proto__":1}') as { [key: string]: number }];
    for (const u of cases) expect(worstCaseMetadataBytes(u, "o", "n")).toBe(slow(u, "o", "n"));
  });

  it("counts the marker's expires instant for a spec that sets expires, and it round-trips", () => {
    const expires = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)).toISOString();
    const marker = { owner: "o", name: "n", nonce: "x".repeat(NONCE_LENGTH), protect: true as const, retire: "2000-01-01T00:00:00.000Z", expires };
    for (const u of [null, "é", { a: 1 }, { [MARKER_KEY]: "x" }] as Array<Parameters<typeof worstCaseMetadataBytes>[0]>) {
      expect(worstCaseMetadataBytes(u, "o", "n", true)).toBe(new TextEncoder().encode(encodeMetadata(u, marker)).length);
    }
    expect(decodeMetadata(encodeMetadata(null, { owner: "o", name: "n", expires }))).toEqual({ kind: "managed", marker: { owner: "o", name: "n", expires }, user: null });
  });
});

describe("utf8Bytes", () => {
  it("counts what TextEncoder encodes, lone surrogates (U+FFFD) and astral characters included", () => {
    const encoder = new TextEncoder();
    for (const text of ["", "a", "é", "€", "😀", "a😀b", "\uD800", "\uDC00", "\uD800a", "x\uDBFF", "\uDC00\uD800", "ñ€😀\uD83D", "é".repeat(5_000), "a".repeat(5_000), `${"a".repeat(4_095)}😀`, `${"a".repeat(5_000)}\uD800`]) {
      expect(utf8Bytes(text)).toBe(encoder.encode(text).length);
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => utf8Bytes(text) === encoder.encode(text).length),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 60 }), (units) => {
        const text = String.fromCharCode(...units);
        return utf8Bytes(text) === encoder.encode(text).length;
      }),
      { numRuns: 2_000 },
    );
  });
});
