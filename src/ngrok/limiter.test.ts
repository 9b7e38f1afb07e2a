// Pacing against the emulator's enforced limit on a simulated clock: no 429s alone, few when shared, Retry-After, the concurrency cap, state carried across invocations, the ETA.
import { describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../../standins/ngrok/app.js";
import { SimClock } from "../../standins/ngrok/sim-clock.js";
import { NgrokClient } from "./client.js";
import { AccountLimiter } from "./limiter.js";
import type { LimiterSnapshot } from "./limiter-snapshot.js";
import { ProgressTracker, formatProgress, progressNow, type ApplyProgress } from "./progress.js";
import { formatRateLimit, maxInAnyWindow, parseRateLimit, RollingWindow } from "./rate-limit.js";

const KEY = "limiter-test-key";
const BASE = "http://emulator.test";

function setup(options: { rate?: { limit: number; windowMs: number } | "off"; emulatorRate?: { limit: number; windowMs: number } | "off"; maxConcurrent?: number } = {}) {
  const clock = new SimClock();
  const emulator = createEmulator({ now: clock.now, rateLimit: options.emulatorRate ?? { limit: 120, windowMs: 60_000 }, maxConcurrent: "off" });
  const limiter = new AccountLimiter({ rate: options.rate ?? { limit: 120, windowMs: 60_000 }, maxConcurrent: options.maxConcurrent ?? 6, now: clock.now, sleep: clock.sleep });
  const fetch = (request: Request) => clock.track(() => emulator.fetch(request));
  const client = new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch, limiter, sleep: clock.sleep, now: clock.now });
  return { clock, emulator, limiter, client, fetch };
}

/** Arrival times of the requests the emulator accepted (not refused for a limit). */
const accepted = (emulator: Emulator) => emulator.account(KEY).calls().filter((c) => c.limited === undefined).map((c) => c.at);
const refused = (emulator: Emulator) => emulator.account(KEY).calls().filter((c) => c.status === 429).length;


async function creates(client: NgrokClient, count: number, parallel = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await client.create({ description: `c${next}` });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe("rate limit syntax", () => {
  it("reads N/DURATION and off, and writes it back", () => {
    expect(parseRateLimit("120/60s")).toEqual({ limit: 120, windowMs: 60_000 });
    expect(parseRateLimit(" 100 / 1m ")).toEqual({ limit: 100, windowMs: 60_000 });
    expect(parseRateLimit("5/500ms")).toEqual({ limit: 5, windowMs: 500 });
    expect(parseRateLimit("OFF")).toBe("off");
    expect(formatRateLimit({ limit: 120, windowMs: 60_000 })).toBe("120/60s");
    for (const bad of ["", "120", "0/60s", "120/0s", "a/60s", "120/60d", "-1/60s"]) expect(() => parseRateLimit(bad)).toThrow(/invalid rate limit/);
  });

  it("a rolling window frees each slot exactly windowMs after it was taken", () => {
    const w = new RollingWindow({ limit: 2, windowMs: 100 });
    expect([w.tryTake(0), w.tryTake(50), w.tryTake(99)]).toEqual([true, true, false]);
    expect([w.tryTake(100), w.tryTake(149), w.tryTake(150)]).toEqual([true, false, true]);
  });
});

describe("pacing alone on the account", () => {
  it("500 calls at 120/60s: not one 429, never more than 120 in any 60 s, done at the window floor", async () => {
    const { clock, emulator, limiter, client } = setup();
    const start = clock.now();
    await creates(client, 500);
    expect(refused(emulator)).toBe(0);
    expect(limiter.stats.throttled).toBe(0);
    const times = accepted(emulator);
    expect(times).toHaveLength(500);
    expect(maxInAnyWindow(times, 60_000)).toBe(120);
    // floor((500 - 1) / 120) = 4 full windows: the last call goes at +240 s, not later.
    expect((times[499] ?? 0) - start).toBe(240_000);
  });

  it("without pacing the same work meets 429s (the emulator's limit is what the test above respects)", async () => {
    const { emulator, client } = setup({ rate: "off" });
    await creates(client, 200);
    expect(refused(emulator)).toBeGreaterThan(0);
  });

  it("a token bucket's arithmetic would not do: 120 + 2t calls in t seconds exceed a rolling 120/60s", () => {
    // The limiter's own window refuses what a bucket refilling at 2/s would allow at t = 30 s.
    const w = new RollingWindow({ limit: 120, windowMs: 60_000 });
    for (let i = 0; i < 120; i++) w.tryTake(0);
    const bucketAllowsAt30s = 60;
    let taken = 0;
    for (let i = 0; i < bucketAllowsAt30s; i++) if (w.tryTake(30_000)) taken += 1;
    expect(taken).toBe(0);
  });

  it("every client sharing one limiter stays inside the one budget", async () => {
    const { emulator, limiter, fetch, clock } = setup();
    const clients = [0, 1, 2].map(() => new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch, limiter, sleep: clock.sleep, now: clock.now }));
    await Promise.all(clients.map((c) => creates(c, 100, 2)));
    expect(refused(emulator)).toBe(0);
    expect(maxInAnyWindow(accepted(emulator), 60_000)).toBeLessThanOrEqual(120);
  });

  it("a timer that fires a millisecond early (as Node's can) does not send the window's next call early", async () => {
    // Seen for real: a 300-credential CLI apply at 120/60s met one 429 when slept-short milliseconds added up.
    let time = 1_000_000;
    const limiter = new AccountLimiter({
      rate: { limit: 2, windowMs: 1_000 },
      now: () => time,
      sleep: async (ms) => {
        time += ms > 1 ? ms - 1 : ms;
      },
    });
    const sentAt: number[] = [];
    const answeredAt: number[] = [];
    for (let i = 0; i < 12; i++) {
      const permit = await limiter.acquire();
      sentAt.push(time);
      // Each answer takes 5 ms; the server counts the call somewhere in between.
      time += 5;
      answeredAt.push(time);
      permit.done({ status: 201 });
    }
    // The third call of any window goes no earlier than a window after the first one's answer.
    for (let i = 2; i < sentAt.length; i++) expect(sentAt[i]! - answeredAt[i - 2]!, `call ${i}`).toBeGreaterThanOrEqual(1_000);
  });
});

describe("sharing the account and 429s", () => {
  /** Another tool on the same account: one call every `everyMs` of simulated time until stopped. */
  function neighbour(clock: SimClock, emulator: Emulator, everyMs: number) {
    let stop = false;
    let sent = 0;
    const loop = (async () => {
      while (!stop) {
        await clock.track(() => emulator.fetch(new Request(`${BASE}/credentials?limit=1`, { headers: { Authorization: `Bearer ${KEY}`, "Ngrok-Version": "2" } })));
        sent += 1;
        await clock.sleep(everyMs);
      }
    })();
    return {
      stop: async () => {
        stop = true;
        await loop;
        return sent;
      },
    };
  }

  it("with a neighbour using 25 % of the budget: few 429s (< 1 % of calls), and it keeps going near the leftover rate", async () => {
    const { clock, emulator, limiter, client } = setup();
    const other = neighbour(clock, emulator, 2_000);
    const start = clock.now();
    await creates(client, 1_000);
    // Simulated time (SimClock), not the machine's: how the pacing spends the account's windows.
    const simulatedSpan = clock.now() - start;
    await other.stop();
    const ours = emulator.account(KEY).calls().filter((c) => c.method === "POST");
    const our429 = ours.filter((c) => c.status === 429).length;
    expect(emulator.account(KEY).credentials()).toHaveLength(1_000);
    expect(our429).toBeLessThan(10);
    expect(limiter.stats.throttled).toBe(our429);
    // The leftover is 90 per 60 s: floor(999 / 90) windows; allow the 1.35.
    expect(simulatedSpan).toBeLessThanOrEqual(1.35 * Math.floor(999 / 90) * 60_000);
    expect(maxInAnyWindow(accepted(emulator), 60_000)).toBeLessThanOrEqual(120);
  });

  it("honours Retry-After: nothing is sent before it, then the call succeeds", async () => {
    const { clock, emulator, client } = setup();
    emulator.account(KEY).addFaults({ method: "POST", status: 429, retryAfter: 7 });
    const start = clock.now();
    await client.create({ description: "x" });
    const posts = emulator.account(KEY).calls().filter((c) => c.method === "POST");
    expect(posts.map((c) => c.status)).toEqual([429, 201]);
    expect((posts[1]?.at ?? 0) - start).toBe(7_000);
  });

  it("without Retry-After it lowers its allowance to what it had minus one, waits for that window, and recovers after quiet windows", async () => {
    const { clock, emulator, limiter, fetch } = setup();
    const allowanceAt429: number[] = [];
    const client = new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch, limiter, sleep: clock.sleep, now: clock.now, onResponse: (call) => call.status === 429 && allowanceAt429.push(limiter.snapshot().allowance) });
    const start = clock.now();
    await creates(client, 100);
    emulator.account(KEY).addFaults({ method: "POST", status: 429 });
    await client.create({ description: "after the 429" });
    expect(allowanceAt429).toEqual([99]);
    // 100 of ours in the window and an allowance of 99: the retry waited for the window to free two slots.
    const last = emulator.account(KEY).calls().at(-1);
    expect(last?.status).toBe(201);
    expect((last?.at ?? 0) - start).toBe(60_000);
    // Probing: one quiet window raises it by 1, the next by 2, then 4, 8, 16 ... back to the whole limit.
    expect(limiter.snapshot().allowance).toBe(100);
    for (const expected of [102, 106, 114, 120]) {
      await clock.sleep(60_000);
      await client.create({ description: "later" });
      expect(limiter.snapshot().allowance).toBe(expected);
    }
    expect(limiter.stats.throttled).toBe(1);
  });

  it("ERR_NGROK_225 lowers the concurrency it uses; it never exceeds its own cap", async () => {
    // Real timers here: the emulator holds requests open with a latency fault (no time is asserted).
    const emulator = createEmulator({ rateLimit: "off", maxConcurrent: 2 });
    const limiter = new AccountLimiter({ rate: "off", maxConcurrent: 4, sleep: () => new Promise((r) => setTimeout(r, 1)) });
    let open = 0;
    let most = 0;
    const fetch = async (request: Request) => {
      open += 1;
      most = Math.max(most, open);
      try {
        return await emulator.fetch(request);
      } finally {
        open -= 1;
      }
    };
    emulator.account(KEY).addFaults({ latencyMs: 15, times: 1_000 });
    const client = new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch, limiter, maxRateLimitRetries: 50 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.create({ description: `p${i}` })));
    expect(most).toBeLessThanOrEqual(4);
    expect(emulator.account(KEY).credentials()).toHaveLength(12);
    expect(limiter.snapshot().concurrency).toBeLessThanOrEqual(2);
    expect(emulator.account(KEY).maxInFlight()).toBeLessThanOrEqual(2);
  });
});

describe("state across invocations", () => {
  it("a restored snapshot waits for the window instead of bursting; a fresh limiter would meet a 429", async () => {
    const first = setup();
    await creates(first.client, 120);
    const snapshot = JSON.parse(JSON.stringify(first.limiter.snapshot())) as LimiterSnapshot;
    expect(snapshot.sent).toHaveLength(120);
    const t0 = first.clock.now();

    // The next invocation: same account (emulator), same clock, a new client and limiter.
    const next = new AccountLimiter({ now: first.clock.now, sleep: first.clock.sleep });
    next.restore(snapshot);
    expect(next.nextAt()).toBe(t0 + 60_000);
    const client = new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch: first.fetch, limiter: next, sleep: first.clock.sleep, now: first.clock.now });
    await client.create({ description: "continued" });
    expect(refused(first.emulator)).toBe(0);
    expect(first.clock.now()).toBe(t0 + 60_000);

    const fresh = new NgrokClient({ baseUrl: BASE, apiKey: KEY, fetch: first.fetch, limiter: new AccountLimiter({ now: first.clock.now, sleep: first.clock.sleep }), sleep: first.clock.sleep, now: first.clock.now, maxRateLimitRetries: 0 });
    await creates(fresh, 119, 1);
    await expect(fresh.create({ description: "burst" })).rejects.toMatchObject({ status_code: 429, error_code: "ERR_NGROK_226" });
  });

  it("ignores an unreadable snapshot, and one taken under another rate keeps only its pause", () => {
    const limiter = new AccountLimiter({ now: () => 1_000 });
    limiter.restore({ v: 2 });
    limiter.restore(null);
    expect(limiter.nextAt()).toBe(1_000);
    limiter.restore({ v: 1, limit: 10, windowMs: 1_000, sent: [900], allowance: 5, concurrency: 6, pausedUntil: 5_000, strikes: 1, adjustedAt: 0, probeWindows: 1, probeStep: 1, raisedSince429: false, nextAt: 0 });
    expect(limiter.snapshot().sent).toEqual([]);
    expect(limiter.nextAt()).toBe(5_000);
  });
});

describe("ETA and progress", () => {
  it("etaFor follows the window: 120 now, the 121st a window later", () => {
    let t = 0;
    const limiter = new AccountLimiter({ now: () => t });
    expect(limiter.etaFor(120)).toBe(0);
    expect(limiter.etaFor(121)).toBe(60_000);
    expect(limiter.etaFor(241)).toBe(120_000);
    t = 10;
    expect(progressNow(0, 300, limiter)).toMatchObject({ done: 0, total: 300, remaining_calls: 300, eta_ms: 120_000 });
  });

  it("the ETA is met on the simulated clock, and the tracker reports every N changes and at the end", async () => {
    const { clock, client, limiter } = setup();
    const seen: ApplyProgress[] = [];
    const tracker = new ProgressTracker({ total: 300, limiter, every: 100, onProgress: (p) => seen.push(p) });
    const promised = tracker.current();
    let next = 0;
    const worker = async () => {
      while (next < 300) {
        next += 1;
        await client.create({ description: "x" });
        tracker.tick();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(seen.map((p) => p.done)).toEqual([100, 200, 300]);
    expect(Date.parse(promised.eta)).toBe(clock.now());
    expect(formatProgress(seen[0] as ApplyProgress)).toMatch(/^100\/300 changes, ETA 2m00s \(\d\d:\d\d:\d\dZ\)$/);
    expect(formatProgress(seen[2] as ApplyProgress)).toBe("300/300 changes, ETA done");
  });
});

describe("maxInAnyWindow", () => {
  it("counts the busiest half-open window over sorted times", () => {
    expect(maxInAnyWindow([], 60_000)).toBe(0);
    expect(maxInAnyWindow([0, 10, 20, 59_999, 60_000, 60_010], 60_000)).toBe(4);
    expect(maxInAnyWindow([0, 60_000, 120_000], 60_000)).toBe(1);
  });
});
