// The fast read of live markers changes no plan: a credential read by its exact string is read as decodeMarker reads it, and plans are the same when every marker is decoded.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import type { Credential } from "../ngrok/types.js";
import { decodeMarker, encodeMetadata, sameUser, type Marker, type UserMetadata } from "../ownership/marker.js";
import { diffSlice, finishDiff, sliceContext, startDiff } from "./diff-slice.js";
import { markerExpires } from "./read-live.js";
import { makePlan, type PlanInput } from "./plan.js";
import { markerReader } from "./read-live.js";

const OWNER = "acme-prod";
const NOW = Date.parse("2026-06-01T00:00:00Z");
const NAMES = ["a", "b", "c", "d"];
const NONCE = "AbCdEfGhIjKlMnOpQr_-09";
const AHEAD = Date.parse("2027-01-31T00:00:00Z");
const PAST = Date.parse("2026-01-31T00:00:00Z");

const users: UserMetadata[] = [null, "", "free text", 'say "hi"', { team: "x" }, { team: "y" }, { team: "x", tier: 1 }, { tier: 1, team: "x" }, { nested: { a: [1, "b"] } }, JSON.parse('{"__proto__":{"team":"x"}}') as UserMetadata];
const user = fc.constantFrom(...users);

/** A spec as validation makes them (any name of NAMES, any of the users, prevent_destroy, expires ahead or past). */
const specArb = fc.record({ name: fc.constantFrom(...NAMES), metadata: user, protect: fc.boolean(), expires: fc.constantFrom(undefined, AHEAD, PAST), acl: fc.constantFrom<string[]>([], ["bind:a.com"], ["bind:*.a.com", "bind:a.com"]) }).map(
  ({ name, metadata, protect, expires, acl }): CredentialSpec => ({
    name,
    description: "",
    metadata,
    acl,
    prevent_destroy: protect,
    deliver: [],
    ...(expires === undefined ? {} : { expires: new Date(expires).toISOString(), expires_ms: expires }),
    source: { file: "credentials/a.yaml", line: 1, column: 1, field: "credentials[0]" },
  }),
);

/** A live marker close to a spec's: any user metadata, protect, expires (ahead, past, other), nonce, retire, owner. */
const markerArb = fc.record({
  name: fc.constantFrom(...NAMES, "gone"),
  owner: fc.constantFrom(OWNER, OWNER, OWNER, "someone-else"),
  nonce: fc.constantFrom(undefined, NONCE, "n-short"),
  protect: fc.boolean(),
  expires: fc.constantFrom(undefined, new Date(AHEAD).toISOString(), new Date(PAST).toISOString(), "2027-01-31"),
  retire: fc.constantFrom(undefined, undefined, "2026-07-01T00:00:00.000Z"),
});

function markerOf(m: { name: string; owner: string; nonce: string | undefined; protect: boolean; expires: string | undefined; retire: string | undefined }): Marker {
  const out: Marker = { owner: m.owner, name: m.name };
  if (m.nonce !== undefined) out.nonce = m.nonce;
  if (m.protect) out.protect = true;
  if (m.retire !== undefined) out.retire = m.retire;
  if (m.expires !== undefined) out.expires = m.expires;
  return out;
}

function credential(i: number, metadata: string | undefined, acl: string[]): Credential {
  const id = `cr_${String(i).padStart(3, "0")}`;
  return { id, uri: `https://api.ngrok.com/credentials/${id}`, created_at: `2026-01-01T00:00:${String(59 - (i % 60)).padStart(2, "0")}Z`, description: "", token: null, acl, owner_id: "usr_default", ...(metadata !== undefined ? { metadata } : {}) };
}

/** The same metadata as JSON, written so that no exact match can take it: the plan must then come from decodeMarker. */
function decodedOnly(metadata: string | undefined): string | undefined {
  return metadata !== undefined && decodeMarker(metadata) !== null ? ` ${metadata}` : metadata;
}

const world = fc.record({
  specs: fc.uniqueArray(specArb, { selector: (s) => s.name, maxLength: 4 }),
  live: fc.array(fc.tuple(markerArb, user, fc.constantFrom<string[]>([], ["bind:a.com"], ["bind:a.com", "bind:*.a.com"]), fc.boolean()), { maxLength: 10 }),
  stored: fc.array(fc.nat({ max: 9 }), { maxLength: 4 }),
  sizes: fc.integer({ min: 1, max: 4 }),
});

describe("markerReader", () => {
  it("reads a marker as decodeMarker does, and reads as unchanged only metadata whose user part, protect and expires are the spec's", () => {
    fc.assert(
      fc.property(fc.uniqueArray(specArb, { selector: (s) => s.name }), markerArb, user, (specs, m, u) => {
        const index = new Map(specs.map((s, i) => [s.name, i]));
        const read = markerReader(OWNER, NOW, specs, (name) => index.get(name));
        const metadata = encodeMetadata(u, markerOf(m));
        const decoded = decodeMarker(metadata);
        const got = read(credential(0, metadata, []));
        expect(got?.marker).toStrictEqual(decoded?.marker);
        if (got === null || decoded === null) return;
        expect(got.at).toBe(decoded.marker.owner === OWNER ? (index.get(decoded.marker.name) ?? -1) : -1);
        if (got.managed !== null) return;
        const spec = specs[got.at] as CredentialSpec;
        expect(sameUser(decoded, spec.metadata)).toBe(true);
        expect(decoded.marker.protect ?? false).toBe(spec.prevent_destroy);
        expect(decoded.marker.expires).toBe(markerExpires(spec, NOW));
      }),
      { numRuns: 3_000 },
    );
  });

  it("changes no plan: the one-pass and the sliced diff give the plans they give with every marker decoded", () => {
    fc.assert(
      fc.property(world, (w) => {
        const live = w.live.map(([m, u, acl, marked], i) => credential(i, marked ? encodeMetadata(u, markerOf(m)) : undefined, acl));
        const stored = new Map<string, string>();
        for (const i of w.stored) {
          const name = decodeMarker(live[i]?.metadata)?.marker.name;
          if (name !== undefined) stored.set(name, (live[i] as Credential).id);
        }
        const input: PlanInput = { ownerId: OWNER, specs: w.specs, live, stored, intents: [{ name: "a", nonce: NONCE }], specFiles: 1, maxDeletes: 100, now: NOW, rotateNow: new Set(["b"]) };
        const decoded: PlanInput = { ...input, live: live.map((c) => ({ ...c, metadata: decodedOnly(c.metadata) })) };
        expect(makePlan(input)).toEqual(makePlan(decoded));
        // The sliced diff alike (its own end, before the policies).
        const sliced = (list: readonly Credential[]) => {
          const context = sliceContext({ ownerId: OWNER, specs: [...w.specs].sort((a, b) => (a.name < b.name ? -1 : 1)), stored, intents: input.intents, now: NOW, rotateNow: new Set(["b"]) });
          let progress = startDiff(context.specs.length);
          while (progress.offset < list.length) progress = diffSlice(progress, list.slice(progress.offset, progress.offset + w.sizes), context);
          return finishDiff(progress, { ownerId: OWNER, context });
        };
        expect(sliced(live)).toEqual(sliced(decoded.live));
      }),
      { numRuns: 1_000 },
    );
  });
});
