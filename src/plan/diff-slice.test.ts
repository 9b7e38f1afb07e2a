// The sliced diff gives the plan the one-pass diff gives, for any slice sizes, and its partial result stays bounded by what it found.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata, type Marker } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { diffSlice, finishDiff, heldCredentials, sliceContext, startDiff, type DiffProgress } from "./diff-slice.js";
import { diffedSpecs, makePlan, type PlanInput } from "./plan.js";
import type { DeliveryRecord, Intent } from "./types.js";

const OWNER = "acme-prod";
const NOW = Date.parse("2026-06-01T00:00:00Z");
const NAMES = ["a", "b", "c", "d", "e", "f"];

function spec(name: string, extra: Partial<CredentialSpec> = {}): CredentialSpec {
  return { name, description: "", metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: 1, column: 1, field: "credentials[0]" }, ...extra };
}

function credential(i: number, metadata: string | undefined, extra: Partial<Credential> = {}): Credential {
  const id = `cr_${String(i).padStart(3, "0")}`;
  return { id, uri: `https://api.ngrok.com/credentials/${id}`, created_at: `2026-01-01T00:00:${String(59 - (i % 60)).padStart(2, "0")}Z`, description: "", token: null, acl: [], owner_id: "usr_default", ...extra, ...(metadata !== undefined ? { metadata } : {}) };
}

const marker = (name: string, extra: Partial<Marker> = {}, owner = OWNER) => encodeMetadata(null, { owner, name, ...extra });

/** One live credential of each kind the diff tells apart, chosen by `kind`. */
function liveOf(i: number, kind: number, name: string): Credential {
  switch (kind) {
    case 0: return credential(i, undefined, { description: "laptop" });
    case 1: return credential(i, marker(name, {}, "someone-else"));
    case 2: return credential(i, marker(name, { nonce: `n-${name}` }));
    case 3: return credential(i, marker(name, { retire: "2026-05-01T00:00:00.000Z" }));
    case 4: return credential(i, marker(name, { retire: "2026-07-01T00:00:00.000Z" }));
    case 5: return credential(i, marker(name, { protect: true }), { description: "old" });
    case 6: return credential(i, marker(name), { acl: ["bind:x.com"] });
    default: return credential(i, marker(name));
  }
}

/** The plan of the sliced diff, slice sizes taken in turn from `sizes`, with its progress persisted as JSON between slices. */
function slicedPlan(input: PlanInput, sizes: readonly number[]): { plan: ReturnType<typeof makePlan>; progress: DiffProgress } {
  const now = input.now ?? NOW;
  const context = sliceContext({ ownerId: OWNER, specs: diffedSpecs(input.specs, now), stored: input.stored, intents: input.intents, now, ...(input.rotateNow ? { rotateNow: input.rotateNow } : {}) });
  let progress = startDiff(context.specs.length);
  for (let turn = 0; progress.offset < input.live.length; turn++) {
    const size = Math.max(1, sizes[turn % sizes.length] ?? 1);
    progress = JSON.parse(JSON.stringify(diffSlice(progress, input.live.slice(progress.offset, progress.offset + size), context))) as DiffProgress;
  }
  const diffed = finishDiff(progress, { ownerId: OWNER, context, ...(input.delivered ? { delivered: input.delivered } : {}) });
  return { plan: makePlan({ ...input, live: heldCredentials(progress), diffed }), progress };
}

const world = fc.record({
  live: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(...NAMES, "gone", "gone2")), { maxLength: 24 }),
  specs: fc.subarray(NAMES),
  stored: fc.array(fc.nat({ max: 23 }), { maxLength: 6 }),
  imports: fc.option(fc.nat({ max: 23 }), { nil: undefined }),
  rotate: fc.subarray(NAMES, { maxLength: 2 }),
  sizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
});

describe("diff in slices", () => {
  it("gives the one-pass plan for any live list and slice sizes: orphans, retirements, duplicates, imports, rotations, deliveries", () => {
    fc.assert(
      fc.property(world, (w) => {
        const live = w.live.map(([kind, name], i) => liveOf(i, kind, name));
        const stored = new Map<string, string>();
        for (const i of w.stored) {
          const c = live[i];
          const name = c?.metadata ? (JSON.parse(c.metadata) as { "ngrok-gitops"?: { name?: string } })["ngrok-gitops"]?.name : undefined;
          if (c && name) stored.set(name, c.id);
        }
        const specs = w.specs.map((name, i) =>
          spec(name, {
            description: i % 2 ? "old" : "",
            prevent_destroy: i === 1,
            ...(i === 2 ? { rotate_after_ms: 86_400_000 } : {}),
            ...(i === 3 ? { deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }] } : {}),
            ...(i === 0 && w.imports !== undefined && live[w.imports] ? { import: live[w.imports]!.id } : {}),
          }),
        );
        specs.push(spec("late", { expires: "2026-05-01", expires_ms: Date.parse("2026-05-01T00:00:00Z") }));
        const intents: Intent[] = NAMES.slice(0, 4).map((name) => ({ name, nonce: `n-${name}` }));
        // A delivery record for every live id of name "d": whichever is kept, its target is already served.
        const delivered: DeliveryRecord[] = live.map((c) => ({ key: "acme/site:NGROK_AUTHTOKEN", name: "d", id: c.id }));
        const input: PlanInput = { ownerId: OWNER, specs, live, stored, intents, specFiles: 1, maxDeletes: 100, now: NOW, rotateNow: new Set(w.rotate), delivered };
        const whole = makePlan(input);
        expect(slicedPlan(input, w.sizes).plan).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it("gives the one-pass plan for large lists in any order: the one-pass diff finds names by neighbour, by search or by a Map", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 150 }), fc.nat(), (reversed, gone, seed) => {
        const names = Array.from({ length: 200 }, (_, i) => `s${String(i).padStart(3, "0")}`);
        // A spec list in name order (as loaded) or shuffled; a live list in order, reversed or shuffled, with credentials of names no spec has.
        const shuffle = <T>(list: T[], by: number) => list.map((x, i) => ({ x, k: (i * 7919 + by) % 1009 })).sort((a, b) => a.k - b.k).map(({ x }) => x);
        const specs = (seed % 3 === 0 ? shuffle(names, seed) : names).map((name) => spec(name));
        let liveNames = [...names, ...Array.from({ length: gone }, (_, i) => `gone${i}`)].sort();
        if (reversed) liveNames.reverse();
        if (seed % 2 === 1) liveNames = shuffle(liveNames, seed + 1);
        const live = liveNames.map((name, i) => credential(i, marker(name), name.startsWith("s0") ? { description: "old" } : {}));
        const stored = new Map(live.map((c, i) => [liveNames[i]!, c.id]));
        const input: PlanInput = { ownerId: OWNER, specs, live, stored, intents: [], specFiles: 1, maxDeletes: 1000, now: NOW };
        expect(slicedPlan(input, [37]).plan).toEqual(makePlan(input));
      }),
      { numRuns: 40 },
    );
  });

  it("keeps between slices only what it found, not the live list: an unchanged account leaves one bit per spec", () => {
    const specs = Array.from({ length: 1000 }, (_, i) => spec(`s${String(i).padStart(4, "0")}`));
    const live = specs.map((s, i) => credential(i, marker(s.name)));
    const stored = new Map(live.map((c, i) => [specs[i]!.name, c.id]));
    const { plan, progress } = slicedPlan({ ownerId: OWNER, specs, live, stored, intents: [], specFiles: 10, maxDeletes: 10, now: NOW }, [97]);
    expect(plan.unchanged).toHaveLength(1000);
    expect(progress.held).toEqual([]);
    expect(JSON.stringify(progress).length).toBeLessThan(400);
  });
});
