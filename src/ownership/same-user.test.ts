// sameUser (the diff's in-place comparison) answers as the copy-then-compare it replaced, on random metadata.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeMarker, decodeMetadata, encodeMetadata, MARKER_KEY, sameJson, sameUser, userOf, type UserMetadata } from "./marker.js";

const json = fc.jsonValue({ maxDepth: 2 });
const mapping = fc.dictionary(fc.oneof(fc.constantFrom("team", "tier", "__proto__", "0", MARKER_KEY), fc.string({ maxLength: 4 })), json, { maxKeys: 4 });
const user: fc.Arbitrary<UserMetadata> = fc.oneof(fc.constant(null), fc.string({ maxLength: 6 }), mapping as fc.Arbitrary<UserMetadata>, fc.constant({}));
const wire = fc.record({ owner: fc.constantFrom("acme", 7), name: fc.constantFrom("a", "b"), value: fc.option(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { nil: undefined }) });

/** Live metadata as ngrok may hold it: ours, ours with extra or odd keys, or anything else. */
const metadata = fc.oneof(
  fc.tuple(user, fc.constantFrom("a", "b")).map(([u, name]) => encodeMetadata(u, { owner: "acme", name })),
  fc.tuple(mapping, wire).map(([top, w]) => JSON.stringify({ ...top, [MARKER_KEY]: w })),
  fc.string({ maxLength: 8 }),
  json.map((value) => JSON.stringify(value)),
);

describe("sameUser", () => {
  it("equals sameJson(decodeMetadata(m).user, spec) and userOf equals the decoded user", () => {
    fc.assert(
      fc.property(metadata, fc.oneof(user, metadata.map((m) => { const d = decodeMetadata(m); return d.kind === "managed" ? d.user : null; })), (m, spec) => {
        const old = decodeMetadata(m);
        const managed = decodeMarker(m);
        expect(managed === null).toBe(old.kind === "unmarked");
        if (managed === null || old.kind !== "managed") return;
        expect(managed.marker).toEqual(old.marker);
        expect(sameUser(managed, spec)).toBe(sameJson(old.user, spec));
        expect(sameJson(userOf(managed), old.user)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
