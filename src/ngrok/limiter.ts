// Client-side pacing to an ngrok account's budget: a rolling window (not a token bucket), a concurrency cap, 429 back-off and recovery, serialisable state.
import { MAX_CONNECTIONS } from "./semaphore.js";
import type { RateLimit } from "./rate-limit.js";
import { NGROK_RATE_LIMIT, RollingWindow } from "./rate-limit.js";
import { MAX_PROBE_WINDOWS, readSnapshot, type LimiterSnapshot } from "./limiter-snapshot.js";

export interface LimiterOptions {
  /** The account's budget; "off" paces nothing (the concurrency cap still holds). Default 120 per 60 s. */
  rate?: RateLimit | "off";
  /** Simultaneous calls across everything sharing this limiter. Default MAX_CONNECTIONS. */
  maxConcurrent?: number;
  now?: () => number;
  /**
   * A real timer by default. A sleep during which `now` did not move at all (a test's stand-in) is taken to
   * have waited: the limiter keeps its own time ahead by it, so it never spins. One that moved less than
   * asked (a real timer firing a millisecond early) is not: the rest is slept again, or the limiter's time
   * would run ahead of the server's and send the window's next call early.
   */
  sleep?: (ms: number) => Promise<void>;
}

/** What the answer to a call said about the account's limits. */
export interface CallOutcome {
  status: number | null;
  /** ngrok's error code, e.g. ERR_NGROK_226 (rate) or ERR_NGROK_225 (simultaneous requests). */
  errorCode?: string | null;
  /** From Retry-After, when the server sent one. */
  retryAfterMs?: number;
}

export interface Permit {
  /** Report the answer (exactly once); releases the concurrency slot and books the call in the window. */
  done(outcome: CallOutcome): void;
}

export interface LimiterStats {
  /** Calls that got a permit. */
  calls: number;
  /** 429 answers seen (rate and concurrency). */
  throttled: number;
  /** Time callers spent waiting for a permit, summed over calls. */
  waitedMs: number;
}

const MAX_PAUSE_SLICES = 8;

/**
 * Why a rolling window and not a token bucket: a bucket of 120 refilling at 2/s allows 120 + 2t calls in t
 * seconds, so after its first burst it meets 429s. Here a call occupies a slot from the moment it is sent
 * until `windowMs` after its answer arrived; the server counts the request somewhere in between, so no
 * window the server can draw holds more than `allowance` of ours, whatever the latency.
 *
 * Shared by every call of a run (pass one instance to every NgrokClient). On a 429 the allowance drops to
 * our answered calls in the window minus one (the rest is someone else's), then probes for room ever more
 * rarely (see recover); Retry-After, when sent, is honoured as a pause for everyone.
 */
export class AccountLimiter {
  readonly rate: RateLimit | "off";
  readonly maxConcurrent: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Time slept by sleeps the clock did not see at all (see LimiterOptions.sleep). */
  private skew = 0;
  private readonly window: RollingWindow;
  private allowance: number;
  private concurrency: number;
  private inFlight = 0;
  private pausedUntil = 0;
  private strikes = 0;
  private adjustedAt = 0;
  private probeWindows = 1;
  private probeStep = 1;
  private raisedSince429 = false;
  private readonly waiters: Array<() => void> = [];
  private counters: LimiterStats = { calls: 0, throttled: 0, waitedMs: 0 };

  constructor(options: LimiterOptions = {}) {
    this.rate = options.rate ?? NGROK_RATE_LIMIT;
    this.maxConcurrent = options.maxConcurrent ?? MAX_CONNECTIONS;
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) throw new RangeError("maxConcurrent must be a positive integer");
    this.clock = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.window = new RollingWindow(this.rate === "off" ? { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 } : this.rate);
    this.allowance = this.rate === "off" ? Number.MAX_SAFE_INTEGER : this.rate.limit;
    this.concurrency = this.maxConcurrent;
  }

  /** The limiter's time: the clock, plus whatever was slept that the clock did not show. */
  now(): number {
    return this.clock() + this.skew;
  }

  get stats(): LimiterStats {
    return { ...this.counters };
  }

  /** Waits until a call may go, then holds a slot until `done`. */
  async acquire(): Promise<Permit> {
    const started = this.now();
    for (;;) {
      const now = this.now();
      if (this.inFlight >= this.concurrency) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      const at = this.nextAt(now);
      if (at <= now) break;
      if (at === Number.POSITIVE_INFINITY) {
        // Every slot is held by a call in flight: its answer frees one.
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      const before = this.clock();
      await this.sleep(at - now);
      if (this.clock() === before) this.skew += at - now;
    }
    this.inFlight += 1;
    this.counters.calls += 1;
    this.counters.waitedMs += this.now() - started;
    let finished = false;
    return {
      done: (outcome) => {
        if (finished) return;
        finished = true;
        this.finish(outcome);
      },
    };
  }

  /**
   * When the next call may go (ms since the epoch): now or earlier when it may go at once; +Infinity when
   * only an answer to a call in flight can free a slot.
   */
  nextAt(now: number = this.now()): number {
    let at = Math.max(now, this.pausedUntil);
    if (this.rate === "off") return at;
    this.window.used(now);
    const counted = this.window.usedAt(at);
    const used = counted + this.inFlight;
    if (used < this.allowance) return at;
    const mustExpire = used - this.allowance + 1;
    if (mustExpire > counted) return Number.POSITIVE_INFINITY;
    at = Math.max(at, this.window.expiryOf(mustExpire, at) ?? at);
    return at;
  }

  /**
   * When `calls` more calls will all have been sent, if each answer came at once and nobody else used the
   * account: for an ETA. The slots cycle: each frees windowMs after it was last used.
   */
  etaFor(calls: number, now: number = this.now()): number {
    if (calls <= 0) return now;
    const start = Math.max(now, this.pausedUntil);
    const rate = this.rate;
    if (rate === "off") return start;
    const allowance = Math.max(1, Math.min(this.allowance, rate.limit));
    const frees = this.window.entries(start).map((t) => t + rate.windowMs);
    // Calls in flight occupy a slot that frees a window after they answer (about now).
    for (let i = 0; i < this.inFlight; i++) frees.push(start + rate.windowMs);
    frees.sort((a, b) => a - b);
    // The allowance's slots: the free ones now, then those that free soonest.
    const slots: number[] = [];
    const free = Math.max(0, allowance - frees.length);
    for (let i = 0; i < free; i++) slots.push(start);
    for (const f of frees) if (slots.length < allowance) slots.push(f);
    // Slots beyond the current allowance (frees longer than it) do not exist for us.
    const last = calls - 1;
    const slot = slots[last % allowance] ?? start;
    return Math.max(start, slot) + Math.floor(last / allowance) * rate.windowMs;
  }

  snapshot(now: number = this.now()): LimiterSnapshot {
    const rate = this.rate === "off" ? { limit: 0, windowMs: 0 } : this.rate;
    return {
      v: 1,
      limit: rate.limit,
      windowMs: rate.windowMs,
      sent: this.rate === "off" ? [] : this.window.entries(now),
      allowance: this.rate === "off" ? 0 : this.allowance,
      concurrency: this.concurrency,
      pausedUntil: this.pausedUntil,
      strikes: this.strikes,
      adjustedAt: this.adjustedAt,
      probeWindows: this.probeWindows,
      probeStep: this.probeStep,
      raisedSince429: this.raisedSince429,
      // With calls in flight only an answer frees a slot; a window from now is the latest that can be.
      nextAt: Math.min(this.nextAt(now), now + (this.rate === "off" ? 0 : this.rate.windowMs)),
    };
  }

  /**
   * Takes over a snapshot from an earlier invocation. One taken under another rate (the configuration changed)
   * keeps only its pause; calls in flight then are assumed answered. Unreadable input is ignored (the limiter
   * then starts fresh and at worst meets a 429, which it handles).
   */
  restore(snapshot: unknown, now: number = this.now()): void {
    const s = readSnapshot(snapshot);
    if (s === undefined) return;
    this.pausedUntil = Math.max(this.pausedUntil, s.pausedUntil);
    this.concurrency = Math.max(1, Math.min(this.maxConcurrent, s.concurrency));
    if (this.rate === "off" || s.limit !== this.rate.limit || s.windowMs !== this.rate.windowMs) return;
    const cutoff = now - this.rate.windowMs;
    for (const t of s.sent) if (t > cutoff && t <= now + this.rate.windowMs) this.window.push(t);
    this.allowance = Math.max(1, Math.min(this.rate.limit, s.allowance));
    this.strikes = s.strikes;
    this.adjustedAt = s.adjustedAt;
    this.probeWindows = Math.max(1, Math.min(MAX_PROBE_WINDOWS, Math.floor(s.probeWindows)));
    this.probeStep = Math.max(1, Math.min(this.rate.limit, Math.floor(s.probeStep)));
    this.raisedSince429 = s.raisedSince429;
    this.recover(now);
  }

  private finish(outcome: CallOutcome): void {
    const now = this.now();
    this.inFlight -= 1;
    if (outcome.status === 429) this.throttled(outcome, now);
    else {
      // Any other answer (or none: the request may have reached the server) counts against the window.
      if (this.rate !== "off") this.window.push(now);
      if (outcome.status !== null) this.strikes = 0;
      this.recover(now);
    }
    // Everyone waiting re-checks (a handful at most): the first to find room goes, the others wait again.
    for (const wake of this.waiters.splice(0)) wake();
  }

  private throttled(outcome: CallOutcome, now: number): void {
    this.counters.throttled += 1;
    this.strikes += 1;
    if (outcome.errorCode === "ERR_NGROK_225") {
      // Too many at once for the account: one fewer from now on (another client holds the rest).
      this.concurrency = Math.max(1, Math.min(this.concurrency, this.inFlight + 1) - 1);
      this.adjustedAt = now;
    } else if (this.rate !== "off") {
      // The account's window is full with only `answered` of ours in it: the rest is someone else's. Calls
      // still in flight are not counted (they were sent into the same full window and are likely refused
      // too), so a burst of 429s from one episode lowers the allowance once, not once each. Never below a
      // quarter of the limit: a 429 from an empty-looking window (a neighbour's burst) must not leave us at
      // a call a minute; the pause below spaces the retries.
      const answered = this.window.used(now);
      this.allowance = Math.max(Math.ceil(this.rate.limit / 4), Math.min(this.allowance, answered - 1));
      // The first 429 after a raise says the neighbour is still there: probe half as often, in steps of one.
      if (this.raisedSince429) this.probeWindows = Math.min(MAX_PROBE_WINDOWS, this.probeWindows * 2);
      this.raisedSince429 = false;
      this.probeStep = 1;
      this.adjustedAt = now;
    }
    // A short pause, growing a slice per 429 in a row (Retry-After wins when sent): the allowance, not the
    // pause, is what paces; a long pause would only waste the window.
    const slice = this.rate === "off" ? 1_000 : Math.ceil(this.rate.windowMs / this.rate.limit);
    const pause = outcome.retryAfterMs ?? slice * Math.min(MAX_PAUSE_SLICES, this.strikes);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
  }

  /**
   * Probing for room: after each quiet stretch of `probeWindows` windows the allowance grows by `probeStep`,
   * which doubles while raises go unpunished (1, 2, 4, ... : a departed neighbour's share comes back within a
   * few windows). A raise that meets a 429 resets the step to 1 and doubles the stretch (up to 8 windows),
   * so a neighbour's steady share costs a 429 every few windows, fewer and fewer. Concurrency lowered by
   * ERR_NGROK_225 comes back one call per stretch.
   */
  private recover(now: number): void {
    if (this.rate === "off") return;
    if (this.allowance >= this.rate.limit && this.concurrency >= this.maxConcurrent) {
      this.probeWindows = 1;
      this.probeStep = 1;
      return;
    }
    const quiet = Math.floor((now - this.adjustedAt) / (this.rate.windowMs * this.probeWindows));
    if (quiet < 1) return;
    for (let i = 0; i < quiet && this.allowance < this.rate.limit; i++) {
      this.allowance = Math.min(this.rate.limit, this.allowance + this.probeStep);
      this.probeStep = Math.min(this.rate.limit, this.probeStep * 2);
    }
    this.concurrency = Math.min(this.maxConcurrent, this.concurrency + quiet);
    this.adjustedAt = now;
    this.raisedSince429 = true;
  }
}
