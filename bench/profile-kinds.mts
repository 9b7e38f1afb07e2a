// Profiling harness for the kinds' plan CPU: `node --cpu-prof --import tsx bench/profile-kinds.mts N REPS` times diffKinds over the listing of N mixed resources applied from empty, as bench/kinds.ts does.
import { listKinds } from "../src/kinds/plan-kinds.js";
import { diffKinds } from "../src/plan/kinds-diff.js";
import { appliedKinds } from "./kinds.js";
const n = Number(process.argv[2] ?? 10_000);
const reps = Number(process.argv[3] ?? 30);
const { loaded, api, vault } = await appliedKinds(n);
const listing = await listKinds(api, ["service_users", "api_keys", "ssh_credentials"]);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const times: number[] = [];
for (let i = 0; i < reps; i++) {
  const t0 = cpu();
  const plan = diffKinds({ ownerId: "bench", kinds: loaded.kinds, live: listing.live, stored: new Map(vault), intents: [], now: Date.now() });
  times.push(cpu() - t0);
  if (plan.changes.length !== 0) throw new Error(`changes ${plan.changes.length}`);
}
times.sort((a, b) => a - b);
console.log(`N=${n} diffKinds median CPU ${times[Math.floor(reps / 2)]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms`);
