// The sliced diff's CPU per credential: `node --import tsx bench/profile-slice.mts N SLICE REPS [K]` diffs the live list of N managed credentials (K changes, default 1 %) in slices of SLICE, as the run core does, and gives µs per credential of diffSlice.
import { loadSpecs } from "../src/desired/load.js";
import { diffSlice, finishDiff, sliceContext, startDiff } from "../src/plan/diff-slice.js";
import { diffedSpecs } from "../src/plan/plan.js";
import { createEmulator } from "../standins/ngrok/app.js";
import { makeFleet, seedFor, specSources } from "./fixtures.js";

const n = Number(process.argv[2] ?? 10_000);
const size = Number(process.argv[3] ?? 1_000);
const reps = Number(process.argv[4] ?? 30);
const k = process.argv[5] === undefined ? Math.round(n / 100) : Number(process.argv[5]);
const fleet = makeFleet(n, k);
const live = createEmulator({ rateLimit: "off" }).account("p").seed(seedFor(fleet.before, "acme-prod")).map((c) => ({ ...c, token: null }));
// As the run reads them: the live list from JSON (the scratch's rows), not the seed's own objects.
const rows = JSON.parse(JSON.stringify(live)) as typeof live;
const loaded = loadSpecs(specSources(fleet.after), { ownerId: "acme-prod" });
if (!loaded.ok) throw new Error("load");
const stored = new Map(fleet.before.map((s, i) => [s.name, live[i]!.id]));
const now = Date.now();
const context = sliceContext({ ownerId: "acme-prod", specs: diffedSpecs(loaded.specs, now), stored, intents: [], now, rotateNow: new Set() });
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const perCredential: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  let progress = startDiff(context.specs.length);
  let spent = 0;
  while (progress.offset < rows.length) {
    const slice = rows.slice(progress.offset, progress.offset + size);
    const t0 = cpu();
    progress = diffSlice(progress, slice, context);
    spent += cpu() - t0;
  }
  const plan = finishDiff(progress, { ownerId: "acme-prod", context });
  if (plan.changes.length !== k) throw new Error(`changes ${plan.changes.length}, expected ${k}`);
  perCredential.push(spent / rows.length);
}
perCredential.sort((a, b) => a - b);
console.log(`N=${n} slice=${size} k=${k}: diffSlice ${perCredential[Math.floor(reps / 2)]!.toFixed(2)} µs/credential median, ${perCredential[0]!.toFixed(2)} best (${reps} reps)`);
