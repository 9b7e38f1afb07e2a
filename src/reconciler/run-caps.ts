// When an active run must be given up: too many invocations, or too many in a row that made no progress (a kill cannot be caught).

export interface RunCaps {
  /** Invocations one run may take in all (a 10,000-credential account converges in a few dozen). */
  maxInvocations: number;
  /** Invocations in a row that may end where they started: an out-of-memory or CPU kill ends one that way. */
  maxStalledAttempts: number;
}

export const DEFAULT_RUN_CAPS: RunCaps = { maxInvocations: 200, maxStalledAttempts: 3 };

/** Where a run stands; two invocations with the same mark made no progress between them. */
export interface RunPosition {
  stage: string;
  listed: number;
  applied: number;
  delivered: number;
}

export interface RunAttempts {
  invocations: number;
  /** Invocations in a row that started at the same position. */
  stalled: number;
  /** The position the last invocation started from. */
  mark: string;
}

export function positionMark(position: RunPosition): string {
  return `${position.stage}:${position.listed}:${position.applied}:${position.delivered}`;
}

/**
 * The attempts after one more invocation starts at `position`. Persist it *before* the invocation does any work:
 * an invocation killed for memory or CPU never gets to write anything afterwards, and must still count.
 */
export function nextAttempt(previous: RunAttempts | null, position: RunPosition): RunAttempts {
  const mark = positionMark(position);
  if (!previous) return { invocations: 1, stalled: 0, mark };
  return { invocations: previous.invocations + 1, stalled: previous.mark === mark ? previous.stalled + 1 : 0, mark };
}

/** Why the run is given up (recorded as failed, and the queue moves on), or null while it may go on. */
export function capExceeded(attempts: RunAttempts, caps: RunCaps = DEFAULT_RUN_CAPS): string | null {
  if (attempts.stalled >= caps.maxStalledAttempts) {
    return `the run made no progress in ${attempts.stalled + 1} invocations in a row (stage ${attempts.mark.split(":")[0] ?? "?"}): it is given up so the queue can move on; the next push or cron tick starts afresh`;
  }
  if (attempts.invocations > caps.maxInvocations) {
    return `the run took more than ${caps.maxInvocations} invocations: it is given up so the queue can move on`;
  }
  return null;
}
