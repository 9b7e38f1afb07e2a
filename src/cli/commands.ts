// The `plan`, `apply` and `token` commands: argument parsing, wiring of the reconcile core to local edges, output and exit codes.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { NgrokClient } from "../ngrok/client.js";
import { renderText } from "../plan/render.js";
import type { Plan } from "../plan/types.js";
import { reconcile, type RunDeps, type RunOptions } from "../run/reconcile.js";
import { formatSpecError } from "../spec/errors.js";
import { FileTokenStore, DEFAULT_TOKENS_PATH } from "../vault/file-store.js";
import { importKeyring } from "../vault/keyring.js";
import { TokenVault } from "../vault/vault.js";
import { mergeVars, ngrokTarget, runConfig, type NgrokTarget } from "./config.js";
import { readDevVars } from "./dotenv.js";
import { CliError } from "./errors.js";
import { FileIntentLog, intentsPathFor } from "./file-intents.js";
import { progressLine, summary } from "./output.js";
import { readSpecSources } from "./sources.js";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether a person can answer the prompt. */
  interactive: boolean;
  /** Asks a question on the terminal; only called when `interactive`. */
  ask(question: string): Promise<string>;
}

export const USAGE = `Usage: npm run plan|apply|token -- [options]
       tsx src/cli/main.ts <command> [options]

Commands:
  plan            show what apply would change (exit 0: no changes, 2: changes planned, 1: error)
  apply           plan, ask, then change the ngrok account (exit 0: applied or nothing to do, 1: error)
  token NAME      print the stored token of credential NAME

Options:
  --dir PATH        the credentials folder (default ./credentials)
  --tokens PATH     the encrypted token store (default ${DEFAULT_TOKENS_PATH}); intents are kept beside it
  --json            plan: print the plan as JSON instead of text
  --yes, -y         apply: do not ask for confirmation
  --allow-deletes   plan/apply: lift the MAX_DELETES and empty-folder guards
  --help, -h        show this help

Environment (or .dev.vars in the current folder):
  NGROK_API_URL           default http://127.0.0.1:$EMULATOR_PORT (8788), the local emulator
  NGROK_API_KEY           required unless NGROK_API_URL is the local emulator
  TOKEN_ENCRYPTION_KEYS   kid:base64key[,...]; required by apply and token
  OWNER_ID                default ngrok-gitops-local
  MAX_DELETES             default 10
  ROTATION_GRACE          default 1h; ROTATE_AFTER: rotate_after for specs without one (default never)
`;

const OPTIONS = {
  dir: { type: "string" },
  tokens: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  "allow-deletes": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Command = "plan" | "apply" | "token";

interface Parsed {
  command: Command;
  name: string | undefined;
  dir: string;
  tokens: string;
  json: boolean;
  yes: boolean;
  allowDeletes: boolean;
}

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
    }
  } catch (error) {
    io.err(`error: ${messageOf(error)}\n`);
    return 1;
  }
}

function parse(argv: readonly string[], io: CliIo): Parsed | "help" {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new CliError("CLI_USAGE", `${messageOf(error)} (see --help)`);
  }
  if (values.help) return "help";
  const [command, ...rest] = positionals;
  if (command !== "plan" && command !== "apply" && command !== "token") {
    throw new CliError("CLI_USAGE", command === undefined ? "no command given: plan, apply or token (see --help)" : `unknown command ${JSON.stringify(command)}: plan, apply or token (see --help)`);
  }
  if (command === "token" ? rest.length !== 1 : rest.length !== 0) {
    throw new CliError("CLI_USAGE", command === "token" ? "token takes exactly one NAME" : `${command} takes no arguments, got ${JSON.stringify(rest.join(" "))}`);
  }
  const only = (flag: keyof typeof OPTIONS, allowed: readonly Command[]) => {
    if (values[flag] !== undefined && !allowed.includes(command)) throw new CliError("CLI_USAGE", `--${flag} does not apply to ${command}`);
  };
  only("json", ["plan"]);
  only("yes", ["apply"]);
  only("allow-deletes", ["plan", "apply"]);
  only("dir", ["plan", "apply"]);
  return {
    command,
    name: rest[0],
    dir: resolve(io.cwd, values.dir ?? "credentials"),
    tokens: resolve(io.cwd, values.tokens ?? DEFAULT_TOKENS_PATH),
    json: values.json ?? false,
    yes: values.yes ?? false,
    allowDeletes: values["allow-deletes"] ?? false,
  };
}

interface Context {
  vars: Record<string, string>;
  target: NgrokTarget;
  ngrok: NgrokClient;
  store: FileTokenStore;
  intents: FileIntentLog;
  options: Omit<RunOptions, "mode">;
}

/** What the CLI cannot do that the Worker does: deliveries need the Worker's GitHub credentials. */
export const CLI_NO_DELIVERY = "not delivered by the CLI: delivery needs GitHub credentials, which only the Worker holds; the Worker delivers on its next run";

async function context(parsed: Parsed, io: CliIo): Promise<Context> {
  const vars = mergeVars(io.env, await readDevVars(io.cwd));
  const target = ngrokTarget(vars);
  const config = runConfig(vars);
  // A CLI run waits less than the Worker would: a person is watching.
  const ngrok = new NgrokClient({ baseUrl: target.url, apiKey: target.apiKey, maxRetries: 2, backoffCapMs: 2_000, timeoutMs: 20_000 });
  const options = { ...config, allowDeletes: parsed.allowDeletes };
  return { vars, target, ngrok, store: new FileTokenStore(parsed.tokens), intents: new FileIntentLog(intentsPathFor(parsed.tokens)), options };
}

/** Plan needs only the stored ids, not the key: planning works for anyone who can read the account. */
function idsOnly(store: FileTokenStore): RunDeps["vault"] {
  const refuse = (): Promise<never> => Promise.reject(new Error("internal: plan does not read or write tokens"));
  return { store: refuse, remove: refuse, read: refuse, ids: async () => new Map((await store.list()).map((entry) => [entry.name, entry.id])) };
}

function counter(ngrok: NgrokClient): () => { ngrok: number; github: number } {
  return () => {
    const taken = ngrok.stats.requests;
    ngrok.resetStats();
    return { ngrok: taken, github: 0 };
  };
}

async function planCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  const sources = await readSpecSources(parsed.dir);
  const result = await withTarget(ctx.target, () =>
    reconcile(sources, { ...ctx.options, mode: "plan" }, { ngrok: ctx.ngrok, vault: idsOnly(ctx.store), intents: ctx.intents, noDelivery: CLI_NO_DELIVERY, takeCalls: counter(ctx.ngrok) }),
  );
  if (result.kind === "invalid") {
    if (parsed.json) io.out(`${JSON.stringify({ errors: result.errors }, null, 2)}\n`);
    reportInvalid(result.errors.map(formatSpecError), result.files, io);
    return 1;
  }
  const view = cliView(result.plan);
  io.out(parsed.json ? `${JSON.stringify(view.plan, null, 2)}\n` : renderText(view.plan));
  if (!parsed.json && view.plan.deliveries.length > 0) io.out(deliveryNote(view.plan.deliveries.length));
  if (result.plan.refusals.length > 0) {
    io.err("error: the plan was refused (see above); nothing would be applied\n");
    return 1;
  }
  return result.plan.changes.length > 0 ? 2 : 0;
}

/**
 * The plan as the CLI shows it. The Worker records what each delivery target holds; the CLI cannot see that,
 * so it shows the deliveries that are certain (of a token this plan mints: a create, replace or rotation)
 * and leaves out those the Worker may already have made.
 */
export function cliView(plan: Plan): { plan: Plan } {
  const minting = new Set(plan.changes.filter((c) => c.action === "create" || c.action === "replace" || c.action === "rotate").map((c) => c.name));
  return { plan: { ...plan, deliveries: plan.deliveries.filter((d) => d.action === "deliver" && minting.has(d.name)) } };
}

function deliveryNote(n: number): string {
  return `Note: ${n} deliver${n === 1 ? "y is" : "ies are"} ${CLI_NO_DELIVERY}.\n`;
}

async function applyCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  const keyring = await keyringOrExplain(ctx.vars, "apply encrypts the tokens it mints with it");
  const vault = new TokenVault(ctx.store, keyring);
  const sources = await readSpecSources(parsed.dir);
  let shown: Plan | null = null;
  let cancelled = false;
  // One run of the core: the plan is shown (and confirmed) before anything is applied, and exactly it is applied.
  const approve = async (plan: Plan): Promise<boolean> => {
    shown = plan;
    const view = cliView(plan).plan;
    io.out(renderText(view));
    if (view.deliveries.length > 0) io.out(deliveryNote(view.deliveries.length));
    if (plan.changes.length === 0) return true;
    if (!parsed.yes) {
      if (!io.interactive) throw new CliError("CLI_NOT_CONFIRMED", "apply needs confirmation and no terminal is attached; pass --yes to apply without asking");
      const answer = (await io.ask("\nApply these changes? [y/N] ")).trim().toLowerCase();
      if (answer !== "y" && answer !== "yes") {
        cancelled = true;
        return false;
      }
    }
    io.out("\n");
    return true;
  };
  const result = await withTarget(ctx.target, () =>
    reconcile(sources, { ...ctx.options, mode: "apply" }, {
      ngrok: ctx.ngrok,
      vault,
      intents: ctx.intents,
      approve,
      noDelivery: CLI_NO_DELIVERY,
      takeCalls: counter(ctx.ngrok),
      reporter: { outcome: (_state, outcome) => io.out(progressLine(outcome)) },
    }),
  );
  if (result.kind === "invalid") {
    reportInvalid(result.errors.map(formatSpecError), result.files, io);
    return 1;
  }
  if (shown === null) io.out(renderText(cliView(result.plan).plan));
  if (result.plan.refusals.length > 0) {
    io.err("error: the plan was refused (see above); nothing was applied\n");
    return 1;
  }
  if (cancelled) {
    io.err("Apply cancelled; nothing was changed.\n");
    return 1;
  }
  if (result.kind !== "applied" || result.plan.changes.length === 0) return 0;
  io.out(`\n${summary(result.plan, result.report, parsed.tokens, io.cwd)}`);
  return result.report.ok ? 0 : 1;
}

async function tokenCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const vars = mergeVars(io.env, await readDevVars(io.cwd));
  const name = parsed.name as string;
  const store = new FileTokenStore(parsed.tokens);
  // Checked before the key: "not stored" is the more useful answer when both apply.
  if ((await store.get(name)) === null) throw new CliError("CLI_TOKEN_NOT_FOUND", `no token stored for ${JSON.stringify(name)}`);
  const keyring = await keyringOrExplain(vars, "the stored tokens are encrypted with it");
  const revealed = await new TokenVault(store, keyring).read(name);
  if (revealed === null) throw new CliError("CLI_TOKEN_NOT_FOUND", `no token stored for ${JSON.stringify(name)}`);
  io.out(`${revealed.token}\n`);
  return 0;
}

async function keyringOrExplain(vars: Record<string, string>, why: string) {
  if (vars.TOKEN_ENCRYPTION_KEYS === undefined) {
    throw new CliError(
      "CLI_CONFIG",
      `TOKEN_ENCRYPTION_KEYS is not set; ${why}. Set it in the environment or in .dev.vars as kid:base64key ` +
        `(32 random bytes, e.g. local1:$(openssl rand -base64 32)); \`npm start\` writes a .dev.vars with one on its first run`,
    );
  }
  return importKeyring(vars.TOKEN_ENCRYPTION_KEYS);
}

function reportInvalid(lines: string[], files: number, io: CliIo): void {
  for (const line of lines) io.err(`${line}\n`);
  io.err(`error: ${lines.length} error${lines.length === 1 ? "" : "s"} in ${files} spec file${files === 1 ? "" : "s"}; nothing was read from ngrok or changed\n`);
}

/** A connection failure against the emulator most likely means it is not running: say how to start it. */
async function withTarget<T>(target: NgrokTarget, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
    if (code === "NGROK_NETWORK_ERROR" && target.emulator) {
      // `npm run emulator` needs --port: name the exact command that would answer at this URL.
      const port = new URL(target.url).port || "80";
      throw new CliError("CLI_CONFIG", `${messageOf(error)} at ${target.url}; is the emulator running? (\`npm start\`, or \`npm run emulator -- --port ${port}\`)`, { cause: error });
    }
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
