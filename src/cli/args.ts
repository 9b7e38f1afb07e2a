// The CLI's commands and options: usage text and argument parsing, with the rules on which option fits which command.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_OWNER_ID } from "./config.js";
import type { CliIo } from "./io.js";
import { CliError, messageOf } from "./errors.js";
import { START_OWNER_ID } from "./identity.js";
import { useColor } from "./color.js";

export const USAGE = `Usage: ngrok-gitops <command> [options]       (npx ngrok-gitops, or node_modules/.bin/ngrok-gitops)
       npm run plan|apply|validate|token|unmanaged -- [options]

Commands:
  plan            show what apply would change (exit 0: no changes, 2: changes or reviewed settings planned, 1: error)
  apply           plan, ask, then change the ngrok account (exit 0: applied or nothing to do, 1: error)
  apply FILE      apply exactly the plan saved by \`plan --out FILE\`, without asking; refused (exit 1,
                  nothing changed) if the specs, the account or the local token store changed since
  validate        check the specs (and the policy file) offline: no ngrok call, no API key (exit 0: valid, 1: errors)
  token NAME      print the stored token of credential NAME
  unmanaged       list the live credentials without our marker (id, created, description), to import:

Options:
  --dir PATH        the credentials folder (default ./credentials)
  --tokens PATH     the encrypted token store (default .ngrok-gitops/<API host>/<OWNER_ID>/tokens.json); intents are kept beside it
  --json            only JSON on stdout, snake_case like the HTTP API: plan: the plan; apply: the outcomes (needs --yes
                    or FILE); validate: the errors; unmanaged: a list. (\`npm run\` prints a banner first: use the bin
                    or \`npm run --silent\`.)
  --out FILE        plan: save the plan for \`apply FILE\` (0600; refused plans are not saved)
  --target NAME     plan/apply: only this credential's changes (repeatable), like terraform -target
  --owner-id ID     plan/validate: preview as the installation with OWNER_ID ID, read-only (e.g. ${START_OWNER_ID}, npm start's
                    Worker: what a merge will do); apply refuses it
  --no-color        no colour (also NO_COLOR=1); colour is on for a terminal only
  --yes, -y         apply: do not ask for confirmation
  --allow-deletes   plan/apply: lift the MAX_DELETES and empty-folder guards
  --policy PATH     plan/apply/validate: the repository policy file (default: ngrok-gitops.policy.yaml beside the --dir folder, if any)
  --help, -h        show this help

Environment (or .dev.vars in the current folder):
  NGROK_API_URL           default http://127.0.0.1:$EMULATOR_PORT (8788), the local emulator
  NGROK_API_KEY           required unless NGROK_API_URL is the local emulator
  TOKEN_ENCRYPTION_KEYS   kid:base64key[,...]; required by apply and token
  OWNER_ID                default ${DEFAULT_OWNER_ID} (npm start's Worker is ${START_OWNER_ID}: another installation)
  MAX_DELETES             default 10
  ROTATION_GRACE          default 1h; ROTATE_AFTER: rotate_after for specs without one (default never)
  EXPIRY_WARNING          default 7d: how long before a spec's expires plans announce it
`;

const OPTIONS = {
  dir: { type: "string" },
  tokens: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  "allow-deletes": { type: "boolean" },
  out: { type: "string" },
  target: { type: "string", multiple: true },
  "owner-id": { type: "string" },
  "no-color": { type: "boolean" },
  policy: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const COMMANDS = ["plan", "apply", "validate", "token", "unmanaged"] as const;
export type Command = (typeof COMMANDS)[number];

export interface Parsed {
  command: Command;
  name: string | undefined;
  dir: string;
  /** `--tokens` as given; the default depends on NGROK_API_URL and OWNER_ID (token-path.ts). */
  tokens: string | undefined;
  json: boolean;
  yes: boolean;
  allowDeletes: boolean;
  /** plan --out FILE, absolute. */
  out: string | undefined;
  /** apply FILE, absolute. */
  planFile: string | undefined;
  targets: string[];
  /** plan/validate --owner-id: the installation to preview as (read-only). */
  ownerId: string | undefined;
  color: boolean;
  /** --policy PATH, absolute (undefined: the file beside --dir, when there is one). */
  policy: string | undefined;
}

const isCommand = (value: string | undefined): value is Command => (COMMANDS as readonly (string | undefined)[]).includes(value);

export function parse(argv: readonly string[], io: CliIo): Parsed | "help" {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new CliError("CLI_USAGE", `${messageOf(error)} (see --help)`);
  }
  if (values.help) return "help";
  const [command, ...rest] = positionals;
  if (!isCommand(command)) {
    const list = "plan, apply, validate, token or unmanaged (see --help)";
    throw new CliError("CLI_USAGE", command === undefined ? `no command given: ${list}` : `unknown command ${JSON.stringify(command)}: ${list}`);
  }
  if (command === "token" ? rest.length !== 1 : rest.length > (command === "apply" ? 1 : 0)) {
    throw new CliError("CLI_USAGE", command === "token" ? "token takes exactly one NAME" : command === "apply" ? `apply takes at most one plan FILE, got ${JSON.stringify(rest.join(" "))}` : `${command} takes no arguments, got ${JSON.stringify(rest.join(" "))}`);
  }
  // Previewing as another installation is read-only: an apply as it would change what that installation owns.
  if (command === "apply" && values["owner-id"] !== undefined) {
    throw new CliError("CLI_USAGE", "apply refuses --owner-id: it only previews another installation (plan, validate), read-only; that installation applies its own specs. To make this CLI that installation, set OWNER_ID");
  }
  if (values["owner-id"] !== undefined && values.out !== undefined) {
    throw new CliError("CLI_USAGE", "plan --owner-id is a read-only preview and is not saved with --out: a saved plan is for this installation to apply");
  }
  const only = (flag: keyof typeof OPTIONS, allowed: readonly Command[]) => {
    if (values[flag] !== undefined && !allowed.includes(command)) throw new CliError("CLI_USAGE", `--${flag} does not apply to ${command}`);
  };
  only("json", ["plan", "apply", "validate", "unmanaged"]);
  only("yes", ["apply"]);
  only("allow-deletes", ["plan", "apply"]);
  only("dir", ["plan", "apply", "validate"]);
  only("out", ["plan"]);
  only("target", ["plan", "apply"]);
  only("owner-id", ["plan", "validate"]);
  only("policy", ["plan", "apply", "validate"]);
  const planFile = command === "apply" && rest[0] !== undefined ? resolve(io.cwd, rest[0]) : undefined;
  // A saved plan is applied whole, as it was made: its targets and its delete allowance are in it.
  if (planFile !== undefined && (values.target !== undefined || values["allow-deletes"] !== undefined)) {
    throw new CliError("CLI_USAGE", `apply FILE applies the saved plan as it was made; --${values.target !== undefined ? "target" : "allow-deletes"} belongs to \`plan --out\``);
  }
  if (command === "apply" && values.json && !values.yes && planFile === undefined) {
    throw new CliError("CLI_USAGE", "apply --json prints no plan to confirm: pass --yes, or apply a saved plan FILE");
  }
  return {
    command,
    name: rest[0],
    dir: resolve(io.cwd, values.dir ?? "credentials"),
    tokens: values.tokens,
    json: values.json ?? false,
    yes: values.yes ?? false,
    allowDeletes: values["allow-deletes"] ?? false,
    out: values.out === undefined ? undefined : resolve(io.cwd, values.out),
    planFile,
    targets: values.target ?? [],
    ownerId: values["owner-id"],
    color: useColor({ tty: io.tty ?? false, env: io.env, noColor: values["no-color"] ?? false }),
    policy: values.policy === undefined ? undefined : resolve(io.cwd, values.policy),
  };
}
