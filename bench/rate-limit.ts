// Bench cases against ngrok's physical limit: an apply of N credentials by the run core (driveRun) through the paced client against the emulator at 120/60s, on a simulated clock, alone and sharing the account.
import { createEmulator, type Emulator } from "../standins/ngrok/app.js";
import { SimClock } from "../standins/ngrok/sim-clock.js";
import { MemoryIntentLog } from "../src/apply/memory-intents.js";
import { NgrokClient } from "../src/ngrok/client.js";
import { AccountLimiter } from "../src/ngrok/limiter.js";
import { ProgressTracker } from "../src/ngrok/progress.js";
import { MAX_CONNECTIONS } from "../src/ngrok/semaphore.js";
import { maxInAnyWindow, NGROK_RATE_LIMIT } from "../src/ngrok/rate-limit.js";
import { MAX_PAGE_LIMIT } from "../src/ngrok/types.js";
import { makePlan } from "../src/plan/plan.js";
import { loadSpecs } from "../src/desired/load.js";
import { runLocal } from "../src/run/local.js";
import type { SpecSource } from "../src/desired/types.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../src/vault/index.js";
import { MemoryTokenStore } from "../src/vault/memory-store.js";
import { fleetSpec, makeFleet, seedFor, specSources } from "./fixtures.js";

const OWNER_ID = "acme-prod";
const BASE = "http://ngrok-emulator.test";
const KEY = "bench_rate_key";

export const RATE_TARGETS = { alone: { ratio: 1.05, max429Pct: 0 }, shared: { ratio: 1.35, max429Pct: 1 } } as const;

export interface RateCaseInput {
  n: number;
  /** "first": an empty account and N specs (N creates); "1%": N managed credentials and 1 % of them changed. */
  change: "first" | "1%";
  /** Another client on the account using this share of the budget (0 = alone). */
  neighbourShare: number;
  /** One-way network latency of our calls, uniform in [min, max] ms (seeded). Default [20, 120]. */
  latencyMs?: readonly [number, number];
}

/** One-way latency as a real network adds it; the floor does not include it (it is ours to absorb). */
export const DEFAULT_LATENCY_MS: readonly [number, number] = [20, 120];

export interface RateCaseResult {
  kind: "rate_limit";
  case: string;
  n: number;
  change: "first" | "1%";
  shared: boolean;
  neighbour_share: number;
  latency_ms: readonly [number, number];
  /** Requests the emulator accepted from our client: list pages + one per change. */
  calls: number;
  list_pages: number;
  changes: number;
  /** Simulated seconds from the first list call to the last change's answer. */
  wall_s: number;
  /** The window arithmetic: the c-th call cannot go before floor((c-1)/L) windows, L = our share of the limit. */
  floor_s: number;
  /** wall_s / floor_s; null when floor_s is 0 (every call fits the first window: the limit does not bind). */
  ratio: number | null;
  /**
   * The same window arithmetic, but with the round trips nobody can overlap at the simulated mean latency:
   * list pages follow each other (each names the next), the plan needs the last one, and each call's slot
   * frees a window after it reached the server. What a perfect client would take on this network.
   */
  floor_chain_s: number;
  /** wall_s / floor_chain_s. */
  ratio_chain: number;
  /** Whether the account's limit decides the time at all (floor_s > 0). */
  limit_binds: boolean;
  /** 429 answers our client got (rate and concurrency). */
  http_429: number;
  http_429_pct: number;
  neighbour_calls: number;
  neighbour_429: number;
  /** What the progress ETA said before the first change, against when the last one was sent (simulated s). */
  eta_at_start_s: number;
  /** The most of our requests the emulator accepted in any 60 s. */
  max_calls_per_window: number;
  /** Real seconds the case took to simulate. */
  sim_real_s: number;
  converged: boolean;
  /** ratio is null (not applicable) when the limit does not bind. */
  targets: { ratio: { target: number; met: boolean } | null; http_429_pct: { target: number; met: boolean } };
}

/** The issue's cases: first apply of 1,000 and 10,000 and a 1 % change of each, alone and with a neighbour at 25 %. */
export function rateCaseGrid(ns: readonly number[] = [1_000, 10_000]): RateCaseInput[] {
  const out: RateCaseInput[] = [];
  for (const n of ns) for (const change of ["first", "1%"] as const) for (const neighbourShare of [0, 0.25]) out.push({ n, change, neighbourShare });
  return out;
}

/** floor((calls - 1) / perWindow) whole windows: the earliest the last call can go. */
export function floorSeconds(calls: number, perWindow: number, windowMs: number): number {
  if (calls <= 0) return 0;
  return (Math.floor((calls - 1) / perWindow) * windowMs) / 1000;
}

/**
 * The chain floor: call k (1-based) goes no earlier than call k - perWindow plus a window (at the server), list
 * page i no earlier than page i - 1's answer, a change no earlier than the last page's answer; plus the
 * last answer's way back. rttMs is the round trip, one-way latency twice.
 */
export function floorChainSeconds(calls: number, listPages: number, perWindow: number, windowMs: number, rttMs: number): number {
  if (calls <= 0) return 0;
  const at: number[] = [];
  for (let k = 0; k < calls; k++) {
    let t = k === 0 ? 0 : k < listPages ? (at[k - 1] ?? 0) + rttMs : (at[listPages - 1] ?? 0) + rttMs;
    if (k >= perWindow) t = Math.max(t, (at[k - perWindow] ?? 0) + windowMs);
    at.push(t);
  }
  return ((at[calls - 1] ?? 0) + rttMs) / 1000;
}

/**
 * Another tool on the same account using its share of the budget: one call every windowMs / (share · limit),
 * and a refused call is retried every half second until it goes through (it does use its share).
 */
function neighbour(clock: SimClock, emulator: Emulator, share: number) {
  const every = NGROK_RATE_LIMIT.windowMs / (share * NGROK_RATE_LIMIT.limit);
  let stop = false;
  let sent = 0;
  let refused = 0;
  const send = () => clock.track(() => emulator.fetch(new Request(`${BASE}/credentials?limit=1`, { headers: { Authorization: `Bearer ${KEY}`, "Ngrok-Version": "2" } })));
  const loop = (async () => {
    let due = clock.now();
    while (!stop) {
      for (;;) {
        sent += 1;
        if ((await send()).status !== 429) break;
        refused += 1;
        await clock.sleep(500);
      }
      due += every;
      await clock.sleep(Math.max(0, due - clock.now()));
    }
  })();
  return {
    async stop() {
      stop = true;
      await loop;
      return { sent, refused };
    },
  };
}

export async function runRateCase(input: RateCaseInput): Promise<RateCaseResult> {
  const realStart = performance.now();
  const { n, change, neighbourShare } = input;
  const clock = new SimClock();
  const emulator = createEmulator({ now: clock.now, rateLimit: NGROK_RATE_LIMIT });
  const account = emulator.account(KEY);
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("bench")));

  let sources: SpecSource[];
  let changes: number;
  if (change === "first") {
    sources = specSources(Array.from({ length: n }, (_, i) => fleetSpec(i)));
    changes = n;
  } else {
    const k = Math.max(1, Math.round(n / 100));
    const fleet = makeFleet(n, k);
    const seeded = account.seed(seedFor(fleet.before, OWNER_ID));
    for (const [i, credential] of seeded.entries()) {
      const name = fleet.before[i]?.name;
      if (name === undefined || typeof credential.token !== "string") throw new Error("internal: seed and fleet disagree");
      await vault.store(name, credential.id, credential.token);
    }
    sources = specSources(fleet.after);
    changes = k;
  }

  const limiter = new AccountLimiter({ rate: NGROK_RATE_LIMIT, maxConcurrent: MAX_CONNECTIONS, now: clock.now, sleep: clock.sleep });
  const [minLatency, maxLatency] = input.latencyMs ?? DEFAULT_LATENCY_MS;
  const random = mulberry32(n * 7 + (change === "first" ? 1 : 2) + Math.round(neighbourShare * 100));
  const latency = () => minLatency + Math.floor(random() * (maxLatency - minLatency + 1));
  // The request travels, the emulator answers at once (body read inside, so the clock cannot jump mid-answer), the answer travels.
  const fetch = async (request: Request): Promise<Response> => {
    await clock.sleep(latency());
    const answer = await clock.track(async () => {
      const res = await emulator.fetch(request);
      return { status: res.status, headers: res.headers, body: res.status === 204 ? null : await res.text() };
    });
    await clock.sleep(latency());
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
  const debug = process.env.BENCH_RATE_DEBUG === "1";
  const client = new NgrokClient({
    baseUrl: BASE,
    apiKey: KEY,
    fetch,
    limiter,
    sleep: clock.sleep,
    now: clock.now,
    ...(debug ? { onResponse: (c: { status: number }) => c.status === 429 && process.stderr.write(`429 at ${((clock.now() - start) / 1000).toFixed(1)} ${JSON.stringify({ ...limiter.snapshot(), sent: limiter.snapshot().sent.length })}\n`) } : {}),
  });
  // The neighbour has been at it for a window already: its share is in the account's window when we start.
  const other = neighbourShare > 0 ? neighbour(clock, emulator, neighbourShare) : null;
  if (other) await clock.sleep(NGROK_RATE_LIMIT.windowMs);
  const callsBefore = account.calls().length;
  const start = clock.now();

  // The run core drives it, as the CLI does (one invocation: no call budget, the paced client decides the time).
  // Our own work between calls (sealing a token, the intent log) takes no simulated time: the clock must not
  // jump to a neighbour's next call while a worker is busy sealing.
  const intents = new MemoryIntentLog();
  let tracker: ProgressTracker | null = null;
  let etaAtStart = 0;
  let lastOutcomeAt: number | null = null;
  const result = await runLocal(sources, { ownerId: OWNER_ID, maxDeletes: n, mode: "apply" }, {
    ngrok: { listPage: (cursor) => client.listPage(cursor), create: (b) => client.create(b), update: (id, b) => client.update(id, b), delete: (id) => client.delete(id) },
    vault: { store: (name, id, token) => clock.track(() => vault.store(name, id, token)), remove: (name) => clock.track(() => vault.remove(name)), ids: () => clock.track(() => vault.ids()), read: (name) => clock.track(() => vault.read(name)) },
    intents: { open: (i) => clock.track(() => intents.open(i)), close: (i) => clock.track(() => intents.close(i)), list: () => clock.track(() => intents.list()) },
    // Asked once the plan is made, before the first change: where the ETA at the start is read.
    approve: async (plan) => {
      if (plan.changes.length !== changes) throw new Error(`N=${n} ${change}: the plan has ${plan.changes.length} changes, expected ${changes}`);
      tracker = new ProgressTracker({ total: plan.changes.length, limiter, every: Math.max(1, Math.floor(plan.changes.length / 10)), onProgress: () => {} });
      etaAtStart = tracker.current().eta_ms;
      return plan;
    },
    reporter: {
      outcome: () => {
        lastOutcomeAt = clock.now();
        (tracker as ProgressTracker | null)?.tick();
      },
    },
  });
  // Timed to the last change's outcome: what follows (the report's tally hashes with WebCrypto, whose answer comes
  // from a worker thread the clock cannot track) is no call, and the clock may jump to a neighbour's sleep meanwhile.
  const end = lastOutcomeAt ?? clock.now();
  const neighbourStats = other ? await other.stop() : { sent: 0, refused: 0 };
  if (result.kind !== "applied" || !result.report.ok) throw new Error(`N=${n} ${change}: apply failed: ${result.kind === "applied" ? (result.report.outcomes.find((o) => o.status === "failed")?.status ?? "") : result.kind}`);
  const loaded = loadSpecs(sources, { ownerId: OWNER_ID });
  if (!loaded.ok) throw new Error(`specs did not load: ${loaded.errors[0]?.message ?? ""}`);

  const ours = account.calls().slice(callsBefore).filter((c) => c.query !== "?limit=1");
  const acceptedTimes = ours.filter((c) => c.status !== 429).map((c) => c.at);
  if (debug) {
    const buckets = new Map<number, number>();
    for (const t of acceptedTimes) buckets.set(Math.floor((t - start) / 60_000), (buckets.get(Math.floor((t - start) / 60_000)) ?? 0) + 1);
    process.stderr.write(`per minute: ${[...buckets].map(([m, c]) => `${m}:${c}`).join(" ")}\n`);
  }
  const calls = acceptedTimes.length;
  const http429 = ours.filter((c) => c.status === 429).length;
  const listPages = Math.max(1, Math.ceil(result.live / MAX_PAGE_LIMIT));
  const perWindow = Math.floor(NGROK_RATE_LIMIT.limit * (1 - neighbourShare));
  const floorS = floorSeconds(calls, perWindow, NGROK_RATE_LIMIT.windowMs);
  const wallS = (end - start) / 1000;
  const limitBinds = floorS > 0;
  const ratio = limitBinds ? wallS / floorS : null;
  const floorChainS = floorChainSeconds(calls, listPages, perWindow, NGROK_RATE_LIMIT.windowMs, minLatency + maxLatency);

  // Converged: the account now holds exactly what the specs say (a second plan has no changes).
  const after = emulator.account(KEY).credentials();
  const second = makePlan({ ownerId: OWNER_ID, specs: loaded.specs, live: after, stored: await vault.ids(), intents: [], specFiles: loaded.files, maxDeletes: n });

  const shared = neighbourShare > 0;
  const target = shared ? RATE_TARGETS.shared : RATE_TARGETS.alone;
  const pct = calls === 0 ? 0 : (100 * http429) / (calls + http429);
  return {
    kind: "rate_limit",
    case: `N=${n} ${change === "first" ? "first apply" : "1% change"}${shared ? ` shared ${Math.round(neighbourShare * 100)}%` : " alone"}`,
    n,
    change,
    shared,
    neighbour_share: neighbourShare,
    latency_ms: [minLatency, maxLatency],
    calls,
    list_pages: listPages,
    changes,
    wall_s: wallS,
    floor_s: floorS,
    ratio,
    floor_chain_s: floorChainS,
    ratio_chain: wallS / floorChainS,
    limit_binds: limitBinds,
    http_429: http429,
    http_429_pct: pct,
    neighbour_calls: neighbourStats.sent,
    neighbour_429: neighbourStats.refused,
    eta_at_start_s: etaAtStart / 1000,
    max_calls_per_window: maxInAnyWindow(acceptedTimes, NGROK_RATE_LIMIT.windowMs),
    sim_real_s: (performance.now() - realStart) / 1000,
    converged: second.changes.length === 0,
    targets: {
      ratio: ratio === null ? null : { target: target.ratio, met: ratio <= target.ratio },
      http_429_pct: { target: target.max429Pct, met: shared ? pct < target.max429Pct : http429 === 0 },
    },
  };
}

/** A small seeded PRNG, so every run of the bench simulates the same latencies. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
