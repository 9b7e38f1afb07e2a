// An account's request budget as ngrok states it ("120 requests per 60s"): parsing `N/Ss` and counting a rolling window.

/** At most `limit` requests in any rolling `windowMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** ngrok's documented API limit: 120 requests per rolling 60 s per account. */
export const NGROK_RATE_LIMIT: RateLimit = { limit: 120, windowMs: 60_000 };

export class RateLimitSyntaxError extends Error {
  readonly code = "RATE_LIMIT_SYNTAX";
  constructor(text: string, readonly variable?: string) {
    super(`${variable ? `${variable}: ` : ""}invalid rate limit ${JSON.stringify(text)}: expected N/DURATION such as 120/60s (units ms, s, m, h) or "off"`);
    this.name = "RateLimitSyntaxError";
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Parses "120/60s", "100/1m", "5/500ms" or "off" (no limit). */
export function parseRateLimit(text: string): RateLimit | "off" {
  const value = text.trim().toLowerCase();
  if (value === "off") return "off";
  const match = /^([0-9]+)\s*\/\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?$/.exec(value);
  if (match === null) throw new RateLimitSyntaxError(text);
  const limit = Number(match[1]);
  const windowMs = Number(match[2]) * (UNIT_MS[match[3] ?? "s"] ?? 1_000);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isFinite(windowMs) || windowMs < 1) throw new RateLimitSyntaxError(text);
  return { limit, windowMs: Math.round(windowMs) };
}

/** "120/60s" (or "off"), the form parseRateLimit reads. */
export function formatRateLimit(rate: RateLimit | "off"): string {
  if (rate === "off") return "off";
  return rate.windowMs % 1_000 === 0 ? `${rate.limit}/${rate.windowMs / 1_000}s` : `${rate.limit}/${rate.windowMs}ms`;
}

/**
 * Times of the requests counted in a rolling window, oldest first. A request at `t` counts until `t + windowMs`
 * (exclusive), so at most `limit` lie in any half-open interval of length `windowMs`.
 */
export class RollingWindow {
  private times: number[] = [];
  private head = 0;

  constructor(readonly rate: RateLimit) {}

  /** Requests still counted at `now`. */
  used(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  /** Counts a request at `now` if the window has room; false (and nothing counted) when it is full. */
  tryTake(now: number): boolean {
    if (this.used(now) >= this.rate.limit) return false;
    this.times.push(now);
    return true;
  }

  /** The times still counted at `at` (now or later: nothing is forgotten early), oldest first; a copy. */
  entries(at: number): number[] {
    return this.times.slice(this.firstCountedAt(at));
  }

  /** How many are still counted at `at` (now or later), without forgetting any. */
  usedAt(at: number): number {
    return this.times.length - this.firstCountedAt(at);
  }

  /** When the nth oldest of those still counted at `at` (1-based) leaves the window; undefined when there are fewer. */
  expiryOf(nth: number, at: number): number | undefined {
    const t = this.times[this.firstCountedAt(at) + nth - 1];
    return t === undefined ? undefined : t + this.rate.windowMs;
  }

  /** Index of the first time still counted at `at`: binary search, since the times are sorted. */
  private firstCountedAt(at: number): number {
    const cutoff = at - this.rate.windowMs;
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] ?? 0) <= cutoff) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  push(time: number): void {
    // Kept sorted: a restored or late time goes where it belongs (rare; the common case appends).
    let i = this.times.length;
    while (i > this.head && (this.times[i - 1] ?? 0) > time) i -= 1;
    this.times.splice(i, 0, time);
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }

  private prune(now: number): void {
    const cutoff = now - this.rate.windowMs;
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= cutoff) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/** The most times in any half-open window of `windowMs`, over sorted times: what a rolling window let through at its busiest. */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo += 1;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}
