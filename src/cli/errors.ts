// The CLI's typed error: a message meant for a person, shown as `error: <message>`, and a stable code.

export type CliErrorCode =
  | "CLI_USAGE"
  | "CLI_CONFIG"
  | "CLI_SPECS_DIR"
  | "CLI_POLICY_FILE"
  | "CLI_NOT_CONFIRMED"
  | "CLI_TOKEN_NOT_FOUND"
  | "CLI_INTENTS_INVALID"
  | "CLI_INTENTS_WRITE"
  | "CLI_APPLIED_INVALID"
  | "CLI_PLAN_FILE"
  | "CLI_PLAN_STALE"
  | "CLI_TARGET";

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message of anything thrown, for an `error: …` line. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
