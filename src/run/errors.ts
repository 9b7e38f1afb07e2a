// The run core's typed errors and the limits that bound a run.

/** Budget a change is planned to cost (a replace is two calls); retries beyond it come out of the reserve. */
export const CALLS_PER_CHANGE = 2;
/** A delivery costs a public-key fetch (once per repository) and a PUT or DELETE, after a look at the target (one call, its own step). */
export const CALLS_PER_DELIVERY = 2;
/** Plans one run may make: each stop with changes in flight costs one more (list + plan again). */
export const MAX_ROUNDS = 5;
/** Invocations in a row without progress (killed ones included) after which the run fails rather than spin. */
export const MAX_IDLE = 5;
/** Invocations one run may take in all, progress or not (a 10,000-credential account converges in a few dozen). */
export const MAX_INVOCATIONS = 200;

export class RunError extends Error {
  constructor(
    readonly code: "RUN_NO_ROOM" | "RUN_NO_PROGRESS" | "RUN_TOO_MANY_INVOCATIONS" | "RUN_TOO_MANY_ROUNDS" | "RUN_PAGING_LOOP" | "RUN_INTERNAL",
    message: string,
  ) {
    super(message);
    this.name = "RunError";
  }
}

/** The stable `code` an error carries (RunError, NgrokApiError, BudgetExhaustedError, …), if it carries one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** An error as one line for people: `CODE: message` when it has a code. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  return code !== undefined ? `${code}: ${message}` : message;
}
