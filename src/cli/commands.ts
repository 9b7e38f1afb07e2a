// The CLI's entry point: one command run with its exit code; the commands live in plan-command.ts and apply-command.ts.
import { applyCommand, tokenCommand } from "./apply-command.js";
import { parse, USAGE } from "./args.js";
import type { CliIo } from "./context.js";
import { messageOf } from "./errors.js";
import { planCommand, unmanagedCommand, validateCommand } from "./plan-command.js";

export { USAGE } from "./args.js";
export { CLI_NO_DELIVERY, cliView, type CliIo } from "./context.js";

/** Runs one command and returns its exit code; every failure is reported as `error: <message>`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const parsed = parse(argv, io);
    if (parsed === "help") {
      io.out(USAGE);
      return 0;
    }
    switch (parsed.command) {
      case "plan":
        return await planCommand(parsed, io);
      case "apply":
        return await applyCommand(parsed, io);
      case "token":
        return await tokenCommand(parsed, io);
      case "validate":
        return await validateCommand(parsed, io);
      case "unmanaged":
        return await unmanagedCommand(parsed, io);
    }
  } catch (error) {
    io.err(`error: ${messageOf(error)}\n`);
    return 1;
  }
}

