// The AccountLimiter's state between Worker invocations: its plain-JSON shape and the check that reads it back.

/** Quiet windows a raise may wait at most (LimiterSnapshot.probeWindows); a restored value is clamped to it. */
export const MAX_PROBE_WINDOWS = 8;

/**
 * Persisted between Worker invocations (with the run), so a continuation starts where the last one left the
 * window instead of bursting. Plain JSON; times are ms since the epoch.
 */
export interface LimiterSnapshot {
  v: 1;
  limit: number;
  windowMs: number;
  /** When each call still counted in the window completed, oldest first. */
  sent: number[];
  /** Calls per window this client allows itself now: the limit, lowered after a 429 (another client shares the account). */
  allowance: number;
  /** Simultaneous calls allowed now: maxConcurrent, lowered after ERR_NGROK_225. */
  concurrency: number;
  /** No call before this time (Retry-After, or the pause after a 429). */
  pausedUntil: number;
  /** 429s in a row without a success in between. */
  strikes: number;
  /** When the allowance was last lowered or raised. */
  adjustedAt: number;
  /** Quiet windows needed before the next raise: doubles when a raise meets a 429 soon after (at most 8). */
  probeWindows: number;
  /** How much the next raise adds: doubles while raises meet no 429, back to 1 when one does. */
  probeStep: number;
  /** Whether the allowance was raised since the last 429. */
  raisedSince429: boolean;
  /**
   * When the next call may go, as of the snapshot (ms since the epoch; informational, not read back): the
   * Worker schedules its continuation alarm for max(now, nextAt) instead of waiting inside an invocation.
   */
  nextAt: number;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** The snapshot in `value`, or undefined when it is not one this version wrote (the limiter then starts fresh). */
export function readSnapshot(value: unknown): LimiterSnapshot | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const s = value as Partial<Record<keyof LimiterSnapshot, unknown>>;
  if (s.v !== 1 || !Array.isArray(s.sent) || !s.sent.every(isFiniteNumber)) return undefined;
  if (![s.limit, s.windowMs, s.allowance, s.concurrency, s.pausedUntil, s.strikes, s.adjustedAt, s.probeWindows, s.probeStep].every(isFiniteNumber)) return undefined;
  if (typeof s.raisedSince429 !== "boolean") return undefined;
  return s as LimiterSnapshot;
}
