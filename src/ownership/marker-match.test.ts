// matchMetadata is sound: whatever it accepts decodes (decodeMarker) to exactly the marker and user metadata it was asked about; and it accepts what encodeMetadata writes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMarker, encodeMetadata, MARKER_KEY, sameUser, userOf, type JsonValue, type Marker, type UserMetadata } from "./marker.js";
import { markedName, markerPrefix, matchMetadata, type ExpectedMarker } from "./marker-match.js";

const NONCE = "AbCdEfGhIjKlMnOpQr_-09";
/** Strings a hostile or careless writer might use: quotes, backslashes, escapes, control characters, surrogates, our key. */
const nasty = fc.constantFrom("", "a", "svc-1", 'a"b', "a\\b", "\\u0061", "\n", "é", "😀", "\ud800", "\udc00x", MARKER_KEY, `"${MARKER_KEY}":{`, "}}", ',"nonce":"', "__proto__", "toJSON");
const text = fc.oneof(nasty, fc.string({ unit: "binary", maxLength: 6 }));
const key = fc.oneof(fc.constantFrom("team", "tier", "0", "10", "__proto__", "toJSON", MARKER_KEY, "value", "nonce"), text);
const json = fc.jsonValue({ maxDepth: 2 }).map((value) => value as JsonValue);
/** A mapping built as JSON.parse builds one, so "__proto__" is an own key, as a parser makes it. */
const mapping = fc.array(fc.tuple(key, fc.oneof(json, fc.constant({ [MARKER_KEY]: { owner: "acme", name: "a" } }))), { maxLength: 4 }).map((pairs) => {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
});
/** A mapping whose JSON escapes nothing (most real metadata): the part of the fast path that walks the user's pairs. */
const cleanValue = fc.constantFrom<JsonValue>("x", "", "a b", "payments", 0, -0, 1, 1.5, 1e21, -2e-7, true, false, null, [], {}, [1, "b"], { a: [1, "b"] }, Number.NaN, Number.POSITIVE_INFINITY);
const cleanMapping = fc.array(fc.tuple(fc.constantFrom("team", "tier", "0", "10", "__proto__", "toJSON", "value", "nonce", "owner", "a b", "", MARKER_KEY), cleanValue), { minLength: 1, maxLength: 4 }).map((pairs) => {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
});
const user: fc.Arbitrary<UserMetadata> = fc.oneof(fc.constant(null), text, mapping, cleanMapping, cleanMapping, fc.constant({}));
// Mostly what needs no escaping, so that most strings get past the first check and the rest of it is exercised.
const owner = fc.constantFrom("acme", "acme", "acme-prod", 'ac"me', "a\\c");
const name = fc.oneof({ arbitrary: fc.constantFrom("a", "svc-00001"), weight: 3 }, { arbitrary: text, weight: 1 });
const expires = fc.option(fc.constantFrom("2027-01-31T00:00:00.000Z", "2027-01-31T00:00:00.000Z", '2027"', "x\\y"), { nil: undefined });
const nonce = fc.option(fc.oneof(fc.constant(NONCE), fc.string({ minLength: 21, maxLength: 23 }), fc.constant(`${NONCE.slice(0, 21)}"`), fc.constant(`${NONCE.slice(0, 20)}\\"`)), { nil: undefined });
const marker: fc.Arbitrary<Marker> = fc
  .record({ owner, name, nonce, protect: fc.boolean(), retire: fc.option(fc.constant("2026-01-01T00:00:00.000Z"), { nil: undefined }), expires })
  .map(({ protect, ...rest }) => {
    const out: Marker = { owner: rest.owner, name: rest.name };
    if (rest.nonce !== undefined) out.nonce = rest.nonce;
    if (protect) out.protect = true;
    if (rest.retire !== undefined) out.retire = rest.retire;
    if (rest.expires !== undefined) out.expires = rest.expires;
    return out;
  });

/**
 * What a careless encoder writes: encodeMetadata's layout by concatenation, the marker's strings unescaped and the
 * user's pairs (the reserved key among them, if any) copied in front. Equal to encodeMetadata's only when nothing
 * needed escaping and the user's mapping holds no reserved key.
 */
function naive(u: UserMetadata, m: Marker): string {
  const pairs = u !== null && typeof u === "object" ? JSON.stringify(u).slice(1, -1) : "";
  let wire = `{"owner":${JSON.stringify(m.owner)},"name":"${m.name}"`;
  if (m.nonce !== undefined) wire += `,"nonce":"${m.nonce}"`;
  if (m.protect) wire += ',"protect":true';
  if (m.retire !== undefined) wire += `,"retire":"${m.retire}"`;
  if (m.expires !== undefined) wire += `,"expires":"${m.expires}"`;
  if (typeof u === "string") wire += `,"value":"${u}"`;
  return `{${pairs}${pairs ? "," : ""}"${MARKER_KEY}":${wire}}}`;
}

/**
 * Near misses of our own encodings: a character inserted, removed or changed (anywhere, and next to each quote, where
 * the fields meet), white space, keys reordered, keys added.
 */
function nearMiss(exact: string, cut: number, what: number, extra: string): string[] {
  // Every character next to a quote, changed (where a check that a field ends, or a separator, would be left out).
  const quotes = [...exact.matchAll(/"/g)].map((match) => match.index);
  const around = quotes.flatMap((q) => [q - 1, q, q + 1]).flatMap((i) => [exact.slice(0, i) + String.fromCharCode(what) + exact.slice(i + 1), exact.slice(0, i) + extra + exact.slice(i + 1)]);
  const at = cut % (exact.length + 1);
  const parsed = JSON.parse(exact) as Record<string, unknown>;
  const wire = parsed[MARKER_KEY] as Record<string, unknown>;
  return [
    ...around,
    exact.slice(0, at) + extra + exact.slice(at),
    exact.slice(0, at) + exact.slice(at + 1),
    exact.slice(0, at) + String.fromCharCode(what) + exact.slice(at + 1),
    exact.replace("{", "{ "),
    exact.replace(`"${MARKER_KEY}":`, `"${MARKER_KEY}" :`),
    // The wire's keys in another order; the reserved key first; a `value` or `retire` key added; the marker twice.
    JSON.stringify({ ...parsed, [MARKER_KEY]: Object.fromEntries(Object.entries(wire).reverse()) }),
    JSON.stringify({ [MARKER_KEY]: wire, ...parsed }),
    JSON.stringify({ ...parsed, [MARKER_KEY]: { ...wire, value: extra } }),
    JSON.stringify({ ...parsed, [MARKER_KEY]: { ...wire, retire: "2026-01-01T00:00:00.000Z" } }),
    `${exact.slice(0, -1)},"${MARKER_KEY}":${JSON.stringify({ ...wire, name: extra })}}`,
    exact.replace(`"name":`, `"name":"${extra}","name":`),
    exact.replace('"owner"', '"\\u006fwner"'),
    `${exact} `,
    exact.slice(0, -1),
    // Numbers JSON cannot write, where it wrote null for them; another value of the same length.
    exact.replace("null", "NaN"),
    exact.replace("null", "Infinity"),
    exact.replace(":true", ":null"),
    exact.replace(":null", ":true"),
    exact.replace(/:(-?)(\d)/, (_, sign: string, digit: string) => `:${sign}${digit === "8" ? "7" : "8"}`),
  ];
}

/** The expectation of a spec: what the diff asks matchMetadata about. */
function expectation(u: UserMetadata, m: Marker): ExpectedMarker {
  return { user: u, prefix: markerPrefix(m.owner), name: m.name, protect: m.protect === true, expires: m.expires };
}

/** The soundness claim, checked against decodeMarker and sameUser (what the diff did before the fast path). */
function assertSound(live: string, expected: ExpectedMarker, owner: string): void {
  const nonce = matchMetadata(live, expected);
  if (nonce === null) return;
  const decoded = decodeMarker(live);
  expect(decoded).not.toBeNull();
  const want: Marker = { owner, name: expected.name };
  if (nonce !== undefined) want.nonce = nonce;
  if (expected.protect) want.protect = true;
  if (expected.expires !== undefined) want.expires = expected.expires;
  expect(decoded?.marker).toStrictEqual(want);
  expect(sameUser(decoded!, expected.user)).toBe(true);
  // And the strongest form: it is the very string encodeMetadata writes.
  expect(live).toBe(encodeMetadata(expected.user, want));
}

describe("matchMetadata", () => {
  it("accepts only strings that decode to exactly the expected marker and user metadata: exact encodings, near misses, anything", () => {
    // Each string comes with the user metadata and marker it was made from (when it was), to be asked about.
    const made = (live: fc.Arbitrary<string>) => live.map((m) => ({ live: [m], from: null as null | [UserMetadata, Marker] }));
    const live = fc.oneof(
      fc.tuple(user, marker).map(([u, m]) => ({ live: [encodeMetadata(u, m), naive(u, m)], from: [u, m] as [UserMetadata, Marker] })),
      fc.tuple(user, marker, fc.nat(), fc.integer({ min: 0, max: 0xffff }), text).map(([u, m, cut, what, extra]) => ({ live: nearMiss(encodeMetadata(u, m), cut, what, extra), from: [u, m] as [UserMetadata, Marker] })),
      made(fc.string({ unit: "binary", maxLength: 40 })),
      made(json.map((value) => JSON.stringify(value))),
    );
    fc.assert(
      fc.property(live, user, marker, ({ live: strings, from }, u, spec) => {
        for (const m of strings) {
          if (from !== null) assertSound(m, expectation(from[0], from[1]), from[1].owner);
          // The expectation the string decodes to (when it decodes), so that near misses of it are asked about too.
          const parsed = decodeMarker(m);
          if (parsed !== null) {
            const { nonce: _nonce, retire: _retire, ...found } = parsed.marker;
            assertSound(m, expectation(userOf(parsed), found), found.owner);
          }
          assertSound(m, expectation(u, spec), spec.owner);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("accepts what encodeMetadata writes for a spec (with a nonce of 22 base64url characters or none, nothing escaped), so unchanged credentials take the fast path", () => {
    const plainName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
    // Metadata whose JSON escapes nothing and holds no surrogate (either sends the string to decodeMarker, however exact).
    const unescaped = fc.oneof(fc.constant(null), text, mapping.filter((m) => Object.keys(m).length > 0 && !Object.hasOwn(m, MARKER_KEY))).filter((u) => !/[\\\ud800-\udfff]/.test(JSON.stringify(u)));
    fc.assert(
      fc.property(unescaped, fc.constantFrom("acme", "acme-prod", "Ac.me_1"), plainName, fc.boolean(), fc.boolean(), (u, o, n, withNonce, protect) => {
        const m: Marker = { owner: o, name: n, ...(withNonce ? { nonce: NONCE } : {}), ...(protect ? { protect: true as const } : {}), expires: "2027-01-31T00:00:00.000Z" };
        const live = encodeMetadata(u, m);
        expect(matchMetadata(live, expectation(u, m))).toBe(withNonce ? NONCE : undefined);
        expect(markedName(live, markerPrefix(o))).toBe(n);
      }),
      { numRuns: 3_000 },
    );
  });

  it("reads only the user's own keys, as JSON.stringify does, even when the prototype holds an enumerable one", () => {
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.inherited = "x";
      const u = { team: "x" };
      const m: Marker = { owner: "o", name: "a" };
      expect(matchMetadata(encodeMetadata(u, m), expectation(u, m))).toBeUndefined();
      // The pair written out is not the user's: it decodes to other metadata.
      expect(matchMetadata(`{"team":"x","inherited":"x",${encodeMetadata(null, m).slice(1)}`, expectation(u, m))).toBeNull();
    } finally {
      delete proto.inherited;
    }
  });

  it("leaves to decodeMarker what it cannot build exactly: an empty mapping, the reserved key inside the user's, a retiring marker, an odd nonce", () => {
    const exact = (u: UserMetadata, m: Marker) => matchMetadata(encodeMetadata(u, m), expectation(u, m));
    expect(exact({}, { owner: "o", name: "a" })).toBeNull();
    expect(exact({ [MARKER_KEY]: "x" }, { owner: "o", name: "a" })).toBeNull();
    // Nor the reserved key written twice, the user's first: JSON.parse keeps the last, so the user's would vanish.
    expect(matchMetadata(`{"${MARKER_KEY}":"x","${MARKER_KEY}":{"owner":"o","name":"a"}}`, expectation({ [MARKER_KEY]: "x" }, { owner: "o", name: "a" }))).toBeNull();
    expect(exact(null, { owner: "o", name: "a", retire: "2026-01-01T00:00:00.000Z" })).toBeNull();
    expect(exact(null, { owner: "o", name: "a", nonce: "short" })).toBeNull();
    expect(exact(null, { owner: "o", name: "a", nonce: `${NONCE.slice(0, 21)}+` })).toBeNull();
    expect(exact(null, { owner: "o", name: 'a"b' })).toBeNull();
    expect(exact({ team: "x" }, { owner: "o", name: "a", nonce: NONCE })).toBe(NONCE);
  });
});
