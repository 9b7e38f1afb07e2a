// Profiling harness for plan CPU: `node --cpu-prof --import tsx bench/profile-plan.mts N REPS [K] [part]` times loadSpecs + makePlan (CPU time) for K changes of N (default 1 %), as the bench does; `part` = load | plan | all.
import { loadSpecs, type FileResult } from "../src/desired/load.js";
import { makePlan } from "../src/plan/plan.js";
import { createEmulator } from "../standins/ngrok/app.js";
import { makeFleet, seedFor, specSources } from "./fixtures.js";
const n = Number(process.argv[2] ?? 1000);
const reps = Number(process.argv[3] ?? 30);
const k = process.argv[4] === undefined ? Math.round(n / 100) : Number(process.argv[4]);
const part = process.argv[5] ?? "all";
const fleet = makeFleet(n, k);
const em = createEmulator({ rateLimit: "off" });
const live = em.account("p").seed(seedFor(fleet.before, "acme-prod")).map((c) => ({ ...c, token: null }));
const before = specSources(fleet.before);
const after = specSources(fleet.after);
const stored = new Map(fleet.before.map((s, i) => [s.name, live[i]!.id]));
// The cache as the files were before the change, filled once: each repetition starts from a copy, so the profile
// holds the timed parts, not the untimed cold parse that fills it.
const filled = new Map<string, FileResult>();
loadSpecs(before, { ownerId: "acme-prod", cache: filled });
const times: number[] = [];
const loads: number[] = [];
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const loaded0 = loadSpecs(after, { ownerId: "acme-prod", cache: new Map(filled) });
if (!loaded0.ok) throw new Error("load");
for (let i = 0; i < reps; i++) {
  const cache = new Map(filled);
  const t0 = cpu();
  const loaded = part === "plan" ? loaded0 : loadSpecs(after, { ownerId: "acme-prod", cache });
  const t1 = cpu();
  if (!loaded.ok) throw new Error("load");
  if (part !== "load") {
    const plan = makePlan({ ownerId: "acme-prod", specs: loaded.specs, live, stored, intents: [], specFiles: loaded.files, maxDeletes: n, allowDeletes: false });
    if (plan.changes.length !== k) throw new Error(`changes ${plan.changes.length}`);
  }
  const t2 = cpu();
  times.push(t2 - t0);
  loads.push(t1 - t0);
}
times.sort((a, b) => a - b);
loads.sort((a, b) => a - b);
console.log(`N=${n} k=${k} part=${part} median CPU total ${times[Math.floor(reps / 2)]!.toFixed(1)} ms (best ${times[0]!.toFixed(1)}), load ${loads[Math.floor(reps / 2)]!.toFixed(1)} ms`);
