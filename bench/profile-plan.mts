// Profiling harness for plan CPU: `node --cpu-prof --import tsx bench/profile-plan.mts N REPS` times loadSpecs + makePlan (CPU time) for a 1 % change of N, as the bench does.
import { loadSpecs, type FileResult } from "../src/desired/load.js";
import { makePlan } from "../src/plan/plan.js";
import { createEmulator } from "../standins/ngrok/app.js";
import { makeFleet, seedFor, specSources } from "./fixtures.js";
const n = Number(process.argv[2] ?? 1000);
const k = Math.round(n / 100);
const fleet = makeFleet(n, k);
const em = createEmulator({ rateLimit: "off" });
const live = em.account("p").seed(seedFor(fleet.before, "acme-prod")).map((c) => ({ ...c, token: null }));
const before = specSources(fleet.before);
const after = specSources(fleet.after);
const stored = new Map(fleet.before.map((s, i) => [s.name, live[i]!.id]));
const reps = Number(process.argv[3] ?? 30);
const times: number[] = [];
const loads: number[] = [];
for (let i = 0; i < reps; i++) {
  const cache = new Map<string, FileResult>();
  loadSpecs(before, { ownerId: "acme-prod", cache });
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const t0 = cpu();
  const loaded = loadSpecs(after, { ownerId: "acme-prod", cache });
  const t1 = cpu();
  if (!loaded.ok) throw new Error("load");
  const plan = makePlan({ ownerId: "acme-prod", specs: loaded.specs, live, stored, intents: [], specFiles: loaded.files, maxDeletes: n, allowDeletes: false });
  const t2 = cpu();
  if (plan.changes.length !== k) throw new Error(`changes ${plan.changes.length}`);
  times.push(t2 - t0);
  loads.push(t1 - t0);
}
times.sort((a, b) => a - b);
loads.sort((a, b) => a - b);
console.log(`N=${n} k=${k} median CPU total ${times[Math.floor(reps / 2)]!.toFixed(1)} ms, load ${loads[Math.floor(reps / 2)]!.toFixed(1)} ms`);
