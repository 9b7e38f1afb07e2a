// The call budget of one invocation (Workers Free: 50 subrequests): every fetch to ngrok or GitHub takes one, none beyond the limit.

export class BudgetExhaustedError extends Error {
  readonly code = "SUBREQUEST_BUDGET_EXHAUSTED";
  constructor(limit: number) {
    super(`this invocation used its ${limit} subrequests; the run continues in the next one`);
    this.name = "BudgetExhaustedError";
  }
}

/** What the run core needs to know about the budget: how much is left, and whether a call was refused. */
export interface Budget {
  readonly limit: number;
  readonly used: number;
  /** Set once a fetch was refused: whatever failed after that failed for want of budget. */
  readonly refused: boolean;
  remaining(): number;
}

export class SubrequestBudget implements Budget {
  used = 0;
  refused = false;

  constructor(
    readonly limit: number,
    private readonly inner: (request: Request) => Promise<Response> = (request) => fetch(request),
  ) {}

  remaining(): number {
    return this.limit - this.used;
  }

  /** A fetch that refuses, without sending, once the budget is spent. */
  readonly fetch = (request: Request): Promise<Response> => {
    if (this.used >= this.limit) {
      this.refused = true;
      return Promise.reject(new BudgetExhaustedError(this.limit));
    }
    this.used++;
    return this.inner(request);
  };
}

/** No limit: the CLI and the bench run a request to its end in one go. */
export const UNLIMITED: Budget = { limit: Number.POSITIVE_INFINITY, used: 0, refused: false, remaining: () => Number.POSITIVE_INFINITY };

export function isBudgetError(error: { code?: unknown } | undefined): boolean {
  return error?.code === "SUBREQUEST_BUDGET_EXHAUSTED";
}
