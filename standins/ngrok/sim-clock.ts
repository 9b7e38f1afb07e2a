// A simulated clock for tests and the bench: sleeps resolve in time order, and time jumps only when no work is in flight, so an hour of rate limit runs in a second.

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * `now` and `sleep` for the emulator, the limiter and anything else on the simulated timeline. Time moves
 * only to the earliest pending sleep, and only once nothing is `busy` (wrap in-flight requests with
 * `track`) and the event loop has had a few idle turns, so no request is caught half-way by a jump.
 */
export class SimClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private busy = 0;
  private scheduled = false;
  private idleTurns = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
      this.schedule();
    });

  /** Runs `work` as in flight: the clock does not jump while it runs. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      this.schedule();
    }
  }

  /** Sleeps still waiting. */
  get pending(): number {
    return this.timers.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    if (this.busy > 0) {
      this.idleTurns = 0;
      this.schedule();
      return;
    }
    // A few idle turns first: settles work that hops through macrotasks (stream reads) before time moves.
    if (this.idleTurns < 2) {
      this.idleTurns += 1;
      this.schedule();
      return;
    }
    this.idleTurns = 0;
    let first = 0;
    for (let i = 1; i < this.timers.length; i++) {
      const a = this.timers[i] as Timer;
      const b = this.timers[first] as Timer;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) first = i;
    }
    const at = (this.timers[first] as Timer).at;
    this.t = Math.max(this.t, at);
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.seq - b.seq);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const timer of due) timer.resolve();
    if (this.timers.length > 0) this.schedule();
  }
}
