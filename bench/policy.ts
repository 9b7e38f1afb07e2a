// `npx tsx bench/policy.ts`: plan CPU at N = 10,000 with and without a repository policy of a few dozen rules (issue 18).
import type { Credential } from "../src/ngrok/types.js";
import { makePlan } from "../src/plan/plan.js";
import { loadSpecs, type FileResult, type PolicyOptions } from "../src/desired/load.js";
import { loadPolicy } from "../src/desired/repo-policy-file.js";
import { policyRules } from "../src/desired/repo-policy-rules.js";
import type { SpecSource } from "../src/desired/types.js";
import { makeFleet, seedFor, specSources, type FleetSpec } from "./fixtures.js";
import { median, planTargetMs } from "./reconcile-case.js";

const OWNER = "bench-owner";
const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 10);

/** 34 rules (8 rule functions): 4 requirements, 28 allow patterns (the one every fleet host needs is last, so each rule scans them all), deny_unrestricted, max_rotate_after, max_lifetime. */
const POLICY = [
  "require: [description, acl, metadata.team, metadata.cost-center]",
  "acl:",
  "  allow:",
  ...Array.from({ length: 25 }, (_, i) => `    - '*.team${i}.internal.example.net'`),
  "    - '*.tcp.ngrok.io:*'",
  "    - 'team=*'",
  "    - '*.example.com'",
  "  deny_unrestricted: true",
  "max_rotate_after: 90d",
  "max_lifetime: 180d",
].join("\n");

/** Every credential expires within the policy's lifetime (so max_lifetime has work to do, and passes). */
function withExpiry(sources: readonly SpecSource[]): SpecSource[] {
  const date = new Date(NOW + 90 * DAY).toISOString().slice(0, 10);
  return sources.map((s) => ({ path: s.path, content: s.content.replace(/^( {2}- name: .*)$/gm, `$1\n    expires: ${date}`) }));
}

/** max_lifetime makes every credential expire, and an expiring one cannot be protected: this fleet has none. */
function unprotected(specs: readonly FleetSpec[]): FleetSpec[] {
  return specs.map((spec) => ({ ...spec, preventDestroy: false }));
}

function liveFor(n: number): Credential[] {
  const before = unprotected(makeFleet(n, 0).before);
  return seedFor(before, OWNER).map((seed, i) => ({
    id: `cr_${String(i).padStart(8, "0")}`,
    uri: `https://api.ngrok.com/credentials/cr_${i}`,
    created_at: "2027-01-01T00:00:00Z",
    description: seed.description ?? "",
    token: null,
    acl: seed.acl ?? [],
    owner_id: "usr_bench",
    metadata: seed.metadata ?? "",
  }));
}

/** This process's CPU time in ms: on a busy machine it moves far less than the wall clock. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function time(sources: readonly SpecSource[], before: readonly SpecSource[], live: readonly Credential[], stored: ReadonlyMap<string, string>, k: number, policy: PolicyOptions | undefined, cold: boolean): { total: number; load: number; cpu: number } {
  const cache = new Map<string, FileResult>();
  if (!cold) loadSpecs(before, { ownerId: OWNER, cache });
  const options = { ownerId: OWNER, ...(cold ? {} : { cache }), ...(policy ? { policy } : {}) };
  const c0 = cpuMs();
  const t0 = performance.now();
  const loaded = loadSpecs(sources, options);
  const t1 = performance.now();
  if (!loaded.ok) throw new Error(`specs did not load: ${loaded.errors[0]?.message ?? ""}`);
  const plan = makePlan({ ownerId: OWNER, specs: loaded.specs, live, stored, intents: [], specFiles: loaded.files, maxDeletes: 100_000, now: NOW, defaultRotateAfterMs: 30 * DAY });
  const t2 = performance.now();
  const cpu = cpuMs() - c0;
  if (plan.changes.length !== k) throw new Error(`the plan has ${plan.changes.length} changes, expected ${k}`);
  return { total: t2 - t0, load: t1 - t0, cpu };
}

function main(): void {
  const n = Number(process.argv[2] ?? 10_000);
  const reps = Number(process.argv[3] ?? 7);
  const loadedPolicy = loadPolicy({ path: "ngrok-gitops.policy.yaml", content: POLICY });
  if (!loadedPolicy.ok) throw new Error(loadedPolicy.errors[0]?.message);
  const policy: PolicyOptions = { policy: loadedPolicy.policy, now: NOW, defaultRotateAfterMs: 30 * DAY };
  const rules = policyRules(loadedPolicy.policy).length;
  const live = liveFor(n);
  const stored = new Map(live.map((c, i) => [`svc-${String(i).padStart(5, "0")}`, c.id]));
  const target = planTargetMs(n);
  console.log(`N = ${n}, policy: ${rules} rule functions (${loadedPolicy.policy.allow?.patterns.length ?? 0} allow patterns), ${reps} reps, medians in ms; target ${target ?? "none"} ms`);
  console.log("k      policy  warm_total  warm_load   warm_cpu  cold_total");
  for (const k of [0, Math.round(n / 100)]) {
    const fleet = makeFleet(n, k);
    const before = withExpiry(specSources(unprotected(fleet.before)));
    const after = withExpiry(specSources(unprotected(fleet.after)));
    for (const judged of [false, true]) {
      const p = judged ? policy : undefined;
      time(after, before, live, stored, k, p, false);
      const warm = Array.from({ length: reps }, () => time(after, before, live, stored, k, p, false));
      const cold = Array.from({ length: Math.max(1, Math.ceil(reps / 3)) }, () => time(after, before, live, stored, k, p, true));
      const row = [String(k).padEnd(6), (judged ? "yes" : "no").padEnd(7), median(warm.map((s) => s.total)).toFixed(1).padStart(10), median(warm.map((s) => s.load)).toFixed(1).padStart(10), median(warm.map((s) => s.cpu)).toFixed(1).padStart(10), median(cold.map((s) => s.total)).toFixed(1).padStart(11)];
      console.log(row.join(" "));
    }
  }
}

main();
