// The budget of one invocation (Workers Free: 50 subrequests, 10 ms CPU): every fetch takes a call, every piece of CPU-bound work its units.

export class BudgetExhaustedError extends Error {
  readonly code = "SUBREQUEST_BUDGET_EXHAUSTED";
  constructor(limit: number) {
    super(`this invocation used its ${limit} subrequests; the run continues in the next one`);
    this.name = "BudgetExhaustedError";
  }
}

/**
 * What the run core needs to know about the budget: how many calls are left, whether a call was refused, and
 * how many work units (calibrated CPU, see cpu-units.ts) are left. workerd's clocks stand still while code
 * runs without I/O, so CPU cannot be timed from inside: it is counted in units of work instead.
 */
export interface Budget {
  readonly limit: number;
  readonly used: number;
  /** Set once a fetch was refused: whatever failed after that failed for want of budget. */
  readonly refused: boolean;
  remaining(): number;
  /** Work units this invocation may spend (MAX_CPU_MS through the calibration), and those spent. */
  readonly unitLimit: number;
  readonly unitsUsed: number;
  /** Whether `units` more fit. The first piece of an invocation always fits, so every invocation progresses. */
  affords(units: number): boolean;
  spend(units: number): void;
}

export class SubrequestBudget implements Budget {
  used = 0;
  refused = false;
  unitsUsed = 0;

  constructor(
    readonly limit: number,
    private readonly inner: (request: Request) => Promise<Response> = (request) => fetch(request),
    readonly unitLimit: number = Number.POSITIVE_INFINITY,
  ) {}

  remaining(): number {
    return this.limit - this.used;
  }

  affords(units: number): boolean {
    return this.unitsUsed === 0 || this.unitsUsed + units <= this.unitLimit;
  }

  spend(units: number): void {
    this.unitsUsed += units;
  }

  /** Takes one call, or throws (and marks the budget refused) once they are spent. */
  take(): void {
    if (this.used >= this.limit) {
      this.refused = true;
      throw new BudgetExhaustedError(this.limit);
    }
    this.used++;
  }

  /** A fetch that refuses, without sending, once the budget is spent. */
  readonly fetch = async (request: Request): Promise<Response> => {
    this.take();
    return this.inner(request);
  };
}

/** No limit: the CLI and the bench run a request to its end in one go. */
export const UNLIMITED: Budget = { limit: Number.POSITIVE_INFINITY, used: 0, refused: false, remaining: () => Number.POSITIVE_INFINITY, unitLimit: Number.POSITIVE_INFINITY, unitsUsed: 0, affords: () => true, spend: () => {} };
