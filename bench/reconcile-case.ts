// One bench case: a real reconcile (apply) of N managed credentials with k changes against the in-process emulator, counted and timed.
import { createEmulator, type CallRecord } from "../standins/ngrok/app.js";
import { MemoryIntentLog } from "../src/apply/memory-intents.js";
import { NgrokClient } from "../src/ngrok/client.js";
import type { Credential } from "../src/ngrok/types.js";
import { MAX_PAGE_LIMIT } from "../src/ngrok/types.js";
import { makePlan } from "../src/plan/plan.js";
import { summarize } from "../src/plan/types.js";
import { runLocal, type RunDeps } from "../src/run/local.js";
import { loadSpecs, type FileResult } from "../src/desired/load.js";
import type { SpecSource } from "../src/desired/types.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../src/vault/index.js";
import { MemoryTokenStore } from "../src/vault/memory-store.js";
import { makeFleet, seedFor, specSources, type ChangeMix } from "./fixtures.js";

export const BENCH_OWNER_ID = "acme-prod";

/**
 * What Terraform's ngrok provider spends on the same case: `terraform apply` refreshes every resource in
 * state with its own read (GET /credentials/{id}); it never lists. Then one call per change; a create's
 * response fills the state, so no read follows it.
 */
export const BASELINE_ASSUMPTION =
  "baseline = Terraform-style per-resource refresh: 1 GET per managed credential in state (N) + 1 call per change; no list pages, no read after create";

export interface CaseInput {
  n: number;
  /** Number of changes in the plan. */
  k: number;
  /** How k was chosen, e.g. "10" or "1%". */
  kLabel: string;
  /** Timed repetitions of loadSpecs + makePlan (median reported); at least 5 unless a smoke test asks for fewer. */
  reps: number;
  /** Untimed repetitions first, so the JIT has compiled the hot paths. */
  warmup: number;
}

export interface CaseResult {
  n: number;
  k_label: string;
  changes: number;
  mix: ChangeMix;
  /** Credentials on the account when the run listed it. */
  n_live: number;
  spec_files: number;
  api_calls: number;
  list_pages: number;
  lower_bound: number;
  ratio: number;
  plan_cpu_ms: number;
  plan_cpu_samples_ms: number[];
  /** Medians of the two halves: loadSpecs (YAML parse + schema validation) and makePlan (diff + policies). */
  plan_load_ms: number;
  /** The same plan with every file parsed (no cache): what the first run after a deploy pays. */
  plan_cpu_cold_ms: number;
  plan_diff_ms: number;
  /** The floor under plan_diff_ms: one bare pass over the same live list, JSON.parse of each marker into a Map. */
  plan_floor_ms: number;
  baseline_calls: number;
  baseline_over_ours: number;
  calls_by_operation: Record<string, number>;
  /** Calls beyond the lower bound, by method and path kind (empty when ratio is 1). */
  extra_calls: string[];
  /** Wall time of the apply run (emulator in-process, so mostly our own CPU). */
  apply_ms: number;
  /** Changes in the plan made right after the apply: must be 0. */
  second_plan_changes: number;
  /** The first few of them, for the failure message. */
  second_plan_sample: string[];
}

/** The bench found the core misbehaving (not converged, wrong plan): it must fail loudly. */
export class BenchFailure extends Error {
  readonly code = "BENCH_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "BenchFailure";
  }
}

/** Fails loudly unless the apply converged: the plan made right after it must be empty. */
export function assertConverged(result: CaseResult): void {
  if (result.second_plan_changes > 0) {
    throw new BenchFailure(`N=${result.n} k=${result.k_label}: not converged: the plan after apply still has ${result.second_plan_changes} changes (${result.second_plan_sample.join(", ")})`);
  }
}

export async function runReconcileCase(input: CaseInput): Promise<CaseResult> {
  const { n, k } = input;
  const where = `N=${n} k=${input.kLabel}`;
  const fleet = makeFleet(n, k);

  // This case counts calls, not time: no rate limit on either side (bench/rate-limit.ts measures time against it).
  const emulator = createEmulator({ rateLimit: "off" });
  const apiKey = `bench_${n}_${k}`;
  const account = emulator.account(apiKey);
  const seeded = account.seed(seedFor(fleet.before, BENCH_OWNER_ID));

  // Every seeded credential's token is in the vault, as after the runs that created them: nothing is flagged.
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("bench")));
  await Promise.all(
    seeded.map((credential, i) => {
      const name = fleet.before[i]?.name;
      if (name === undefined || typeof credential.token !== "string") throw new Error("internal: seed and fleet disagree");
      return vault.store(name, credential.id, credential.token);
    }),
  );

  const client = new NgrokClient({ baseUrl: "http://ngrok-emulator.test", apiKey, fetch: (request) => emulator.fetch(request), rateLimit: "off" });
  // The apply run's own listing (before any change) is what plan timing starts from: keep the first one.
  const listing: Credential[] = [];
  let listed: Credential[] | null = null;
  const deps: RunDeps = {
    ngrok: {
      listPage: async (cursor) => {
        const page = await client.listPage(cursor);
        if (listed === null) {
          listing.push(...page.credentials);
          if (page.next === null) listed = listing;
        }
        return page;
      },
      create: (body) => client.create(body),
      update: (id, body) => client.update(id, body),
      delete: (id) => client.delete(id),
    },
    vault,
    intents: new MemoryIntentLog(),
  };
  const sources = specSources(fleet.after);
  const storedBefore = await vault.ids();
  // Counted on the Worker's path: 50 calls per invocation (Workers Free), the run resuming from its persisted state.
  const options = { ownerId: BENCH_OWNER_ID, maxDeletes: n, mode: "apply" as const, callsPerInvocation: 50 };

  client.resetStats();
  const callsBefore = account.calls().length;
  const started = performance.now();
  const result = await runLocal(sources, options, deps);
  const applyMs = performance.now() - started;
  const stats = client.stats;
  const calls = account.calls().slice(callsBefore);

  if (result.kind !== "applied") {
    const why = result.kind === "invalid" ? result.errors.slice(0, 3).map((e) => `${e.file}:${e.line} ${e.message}`).join("; ") : result.plan.refusals.map((r) => r.message).join("; ");
    throw new BenchFailure(`${where}: expected an applied run, got "${result.kind}": ${why}`);
  }
  const failed = result.report.outcomes.filter((o) => o.status === "failed");
  if (!result.report.ok || failed.length > 0 || result.report.notAttempted.length > 0) {
    throw new BenchFailure(`${where}: apply failed: ${failed.map((o) => (o.status === "failed" ? `${o.change.action} ${o.change.name}: ${o.error.code}` : "")).join("; ")}`);
  }
  const planned = summarize(result.plan);
  if (result.plan.changes.length !== k || planned.create !== fleet.mix.creates || planned.update !== fleet.mix.updates || planned.delete !== fleet.mix.deletes) {
    throw new BenchFailure(`${where}: the plan has ${JSON.stringify(planned)} (${result.plan.changes.length} changes), the fixture made ${JSON.stringify(fleet.mix)}`);
  }
  if (result.plan.notes.length > 0) throw new BenchFailure(`${where}: the plan flagged something: ${result.plan.notes[0]}`);
  if (stats.requests !== calls.length) {
    throw new BenchFailure(`${where}: the client counted ${stats.requests} requests, the emulator saw ${calls.length}`);
  }

  // Correctness guard: a second plan right after the apply must find nothing to do (assertConverged checks it).
  const second = await runLocal(sources, { ...options, mode: "plan" }, deps);
  if (second.kind !== "planned") throw new BenchFailure(`${where}: the plan after apply was "${second.kind}"`);
  if (second.plan.refusals.length > 0) throw new BenchFailure(`${where}: the plan after apply was refused: ${second.plan.refusals[0]?.message ?? ""}`);
  if ((await deps.intents.list()).length > 0) throw new BenchFailure(`${where}: write-ahead intents left open after a clean apply`);

  const live: Credential[] = listed ?? [];
  const nLive = result.live;
  const listPages = Math.max(1, Math.ceil(nLive / MAX_PAGE_LIMIT));
  const lowerBound = listPages + k;
  const samples = timePlan(sources, specSources(fleet.before), live, storedBefore, input, k, where);
  const baseline = n + k;
  return {
    n,
    k_label: input.kLabel,
    changes: k,
    mix: fleet.mix,
    n_live: nLive,
    spec_files: sources.length,
    api_calls: stats.requests,
    list_pages: listPages,
    lower_bound: lowerBound,
    ratio: stats.requests / lowerBound,
    plan_cpu_ms: median(samples.map((s) => s.total)),
    plan_cpu_samples_ms: samples.map((s) => round(s.total)),
    plan_load_ms: median(samples.map((s) => s.load)),
    plan_cpu_cold_ms: median(samples.map((s) => s.cold ?? Number.NaN)),
    plan_diff_ms: median(samples.map((s) => s.diff)),
    plan_floor_ms: median(samples.map((s) => s.floor)),
    baseline_calls: baseline,
    baseline_over_ours: baseline / stats.requests,
    calls_by_operation: stats.byOperation,
    extra_calls: extraCalls(calls, listPages, fleet.mix),
    apply_ms: applyMs,
    second_plan_changes: second.plan.changes.length,
    second_plan_sample: second.plan.changes.slice(0, 5).map((c) => `${c.action} ${c.name}`),
  };
}

interface PlanSample {
  total: number;
  load: number;
  diff: number;
  /** One bare pass over the live list (see plan_floor_ms), timed beside the plan. */
  floor: number;
  /** The same plan with no parse cache (every file parsed). */
  cold?: number;
}

/** The pure part only (parse + validate + diff + policies), on the live list the run read; milliseconds per repetition. */
/**
 * Timed as production runs it: the Durable Object caches each parsed file by blob SHA, so a plan after a push
 * parses only the files the push changed. Each repetition starts from a cache filled with the files as they
 * were before the change (outside the timing); `cold` times the same plan with no cache at all.
 */
function timePlan(sources: readonly SpecSource[], before: readonly SpecSource[], live: readonly Credential[], stored: ReadonlyMap<string, string>, input: CaseInput, k: number, where: string): PlanSample[] {
  const once = (cold = false): PlanSample => {
    const cache = new Map<string, FileResult>();
    if (!cold) loadSpecs(before, { ownerId: BENCH_OWNER_ID, cache });
    const t0 = performance.now();
    const loaded = loadSpecs(sources, cold ? { ownerId: BENCH_OWNER_ID } : { ownerId: BENCH_OWNER_ID, cache });
    const t1 = performance.now();
    if (!loaded.ok) throw new BenchFailure(`${where}: specs did not load: ${loaded.errors[0]?.message ?? ""}`);
    const plan = makePlan({ ownerId: BENCH_OWNER_ID, specs: loaded.specs, live, stored, intents: [], specFiles: loaded.files, maxDeletes: input.n, allowDeletes: false });
    const t2 = performance.now();
    if (plan.changes.length !== k) throw new BenchFailure(`${where}: the timed plan has ${plan.changes.length} changes, expected ${k}`);
    const t3 = performance.now();
    const markers = new Map<string, unknown>();
    for (const credential of live) markers.set(credential.id, credential.metadata ? JSON.parse(credential.metadata) : null);
    const t4 = performance.now();
    if (markers.size !== live.length) throw new BenchFailure(`${where}: the floor pass lost credentials`);
    return { total: t2 - t0, load: t1 - t0, diff: t2 - t1, floor: t4 - t3 };
  };
  for (let i = 0; i < input.warmup; i++) once();
  const warm = Array.from({ length: input.reps }, () => once());
  const cold = Array.from({ length: Math.max(1, Math.ceil(input.reps / 3)) }, () => once(true));
  return warm.map((sample, i) => ({ ...sample, cold: cold[i % cold.length]?.total ?? Number.NaN }));
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Which calls exceed the minimum (list pages + one call per change), from the emulator's own call log. */
function extraCalls(calls: readonly CallRecord[], listPages: number, mix: ChangeMix): string[] {
  const expected: Record<string, number> = {
    "GET /credentials": listPages,
    "POST /credentials": mix.creates,
    "PATCH /credentials/{id}": mix.updates,
    "DELETE /credentials/{id}": mix.deletes,
  };
  const seen: Record<string, number> = {};
  for (const call of calls) {
    const key = `${call.method} ${call.path.replace(/\/credentials\/[^/]+$/, "/credentials/{id}")}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  const extra: string[] = [];
  for (const key of new Set([...Object.keys(expected), ...Object.keys(seen)])) {
    const over = (seen[key] ?? 0) - (expected[key] ?? 0);
    if (over !== 0) extra.push(`${key}: ${seen[key] ?? 0} sent, ${expected[key] ?? 0} needed (${over > 0 ? "+" : ""}${over})`);
  }
  const retried = calls.filter((c) => c.fault !== null || (c.status !== null && c.status >= 400));
  if (retried.length > 0) extra.push(`${retried.length} calls failed or were faulted (first: ${retried[0]?.method} ${retried[0]?.path} → ${retried[0]?.status})`);
  return extra;
}

/**
 * The cases for these N: k = 0, 10 and 1 % of N, each once (at N = 1,000, 10 is 1 %). Timing reps are at
 * least 5 unless `quick`; the 10,000 case warms up once, its runs being long enough to compile everything.
 */
export function caseGrid(ns: readonly number[], options: { quick?: boolean } = {}): CaseInput[] {
  const cases: CaseInput[] = [];
  for (const n of ns) {
    const onePercent = Math.max(1, Math.round(n / 100));
    const ks = new Map<number, string>();
    for (const [k, label] of [[0, "0"], [10, "10"], [onePercent, "1%"]] as const) {
      const seen = ks.get(k);
      ks.set(k, seen === undefined ? label : `${seen}=${label}`);
    }
    for (const [k, kLabel] of ks) {
      cases.push({ n, k, kLabel, reps: options.quick ? 3 : n >= 10_000 ? 5 : 9, warmup: options.quick || n >= 10_000 ? 1 : 3 });
    }
  }
  return cases;
}

/** The targets: the fewest calls possible everywhere, and a warm plan near the floor (issue 25: ≤ 3 ms at 1,000, ≤ 30 ms at 10,000). */
export function planTargetMs(n: number): number | null {
  if (n === 1_000) return 3;
  if (n === 10_000) return 30;
  return null;
}
