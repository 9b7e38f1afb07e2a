// Progress of a long apply against the account's rate limit: changes done of total and an ETA from the limiter's window, for the CLI's lines and /api/status.
import type { AccountLimiter } from "./limiter.js";

/** What the CLI prints and /api/status serves as `progress`. */
export interface ApplyProgress {
  done: number;
  total: number;
  /** Calls still to send (a replace or a rotate is two). */
  remaining_calls: number;
  /** When the last of them can have been sent at the account's rate (RFC 3339), if nothing else used it. */
  eta: string;
  /** Milliseconds from now to `eta`. */
  eta_ms: number;
}

export interface ProgressOptions {
  total: number;
  limiter: AccountLimiter;
  /** Told after every `every` changes and after the last one. */
  onProgress: (progress: ApplyProgress) => void;
  /** Default 1: every change. The CLI passes e.g. 50 for a line per 50 changes. */
  every?: number;
  /** Calls per change still to come; default 1 each. */
  callsFor?: (remainingChanges: number) => number;
}

/** The progress at this moment, from the limiter's window. */
export function progressNow(done: number, total: number, limiter: AccountLimiter, remainingCalls: number = Math.max(0, total - done)): ApplyProgress {
  const now = limiter.now();
  const at = limiter.etaFor(remainingCalls, now);
  return { done, total, remaining_calls: remainingCalls, eta: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"), eta_ms: Math.max(0, at - now) };
}

/** Counts finished changes (call `tick` as each change's outcome is reported) and reports every `every` of them. */
export class ProgressTracker {
  private done = 0;
  private readonly every: number;

  constructor(private readonly options: ProgressOptions) {
    this.every = Math.max(1, Math.floor(options.every ?? 1));
  }

  tick(count = 1): void {
    this.done = Math.min(this.options.total, this.done + count);
    if (this.done % this.every === 0 || this.done === this.options.total) this.options.onProgress(this.current());
  }

  current(): ApplyProgress {
    const remaining = this.options.total - this.done;
    return progressNow(this.done, this.options.total, this.options.limiter, this.options.callsFor?.(remaining) ?? remaining);
  }
}

/** "120/500 changes, ETA 3m20s (12:04:10Z)": the CLI's progress line. */
export function formatProgress(p: ApplyProgress): string {
  const s = Math.ceil(p.eta_ms / 1000);
  const eta = s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
  return `${p.done}/${p.total} changes, ETA ${p.done === p.total ? "done" : `${eta} (${p.eta.slice(11)})`}`;
}
