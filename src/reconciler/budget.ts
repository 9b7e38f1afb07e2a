// The subrequest budget of one invocation (Workers Free: 50): every fetch to ngrok or GitHub takes one, none beyond the limit.

export class BudgetExhaustedError extends Error {
  readonly code = "SUBREQUEST_BUDGET_EXHAUSTED";
  constructor(limit: number) {
    super(`this invocation used its ${limit} subrequests; the run continues in the next one`);
    this.name = "BudgetExhaustedError";
  }
}

export class SubrequestBudget {
  used = 0;
  /** Set once a fetch was refused: whatever failed after that failed for want of budget. */
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
