// The `plan`, `apply` and `token` commands: argument parsing, wiring of the reconcile core to local edges, output and exit codes.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ChangeOutcome } from "../apply/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { formatProgress, ProgressTracker } from "../ngrok/progress.js";
import { renderText } from "../plan/render.js";
import type { Plan } from "../plan/types.js";
import { reconcile, type RunDeps, type RunOptions } from "../run/reconcile.js";
import { formatSpecError } from "../desired/errors.js";
import { FileTokenStore } from "../vault/file-store.js";
import { importKeyring } from "../vault/keyring.js";
import { TokenVault } from "../vault/vault.js";
import { DEFAULT_OWNER_ID, mergeVars, ngrokTarget, runConfig, type NgrokTarget } from "./config.js";
import { START_OWNER_ID } from "./identity.js";
import { readDevVars } from "./dotenv.js";
import { CliError, messageOf } from "./errors.js";
import { FileIntentLog, intentsPathFor } from "./file-intents.js";
import { progressLine, summary } from "./output.js";
import { readPolicySource } from "./policy-source.js";
import { readSpecSources } from "./sources.js";
import { apiUrlOf, checkStoreBinding, tokensLocation } from "./token-path.js";
import { appliedPathFor, readAppliedSpecs, writeAppliedSpecs } from "./applied-specs.js";
import { applyJson } from "./apply-json.js";
import { colorize, useColor } from "./color.js";
import { fingerprintAccount, fingerprintLocal, fingerprintSpecs, makePlanFile, readPlanFile, recordListing, staleReasons, writePlanFile } from "./plan-file.js";
import { renderUnmanaged, unmanagedCredentials } from "./unmanaged.js";
import { targetPlan } from "../plan/target.js";
import type { SpecSource } from "../desired/types.js";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether a person can answer the prompt. */
  interactive: boolean;
  /** Asks a question on the terminal; only called when `interactive`. */
  ask(question: string): Promise<string>;
  /** Whether `out` is a terminal (colour); default false. */
  tty?: boolean;
}

export const USAGE = `Usage: npm run plan|apply|token|unmanaged -- [options]
       tsx src/cli/main.ts <command> [options]

Commands:
  plan            show what apply would change (exit 0: no changes, 2: changes or reviewed settings planned, 1: error)
  apply           plan, ask, then change the ngrok account (exit 0: applied or nothing to do, 1: error)
  apply FILE      apply exactly the plan saved by \`plan --out FILE\`, without asking; refused (exit 1,
                  nothing changed) if the specs, the account or the local token store changed since
  token NAME      print the stored token of credential NAME
  unmanaged       list the live credentials without our marker (id, created, description), to import:

Options:
  --dir PATH        the credentials folder (default ./credentials)
  --tokens PATH     the encrypted token store (default .ngrok-gitops/<API host>/<OWNER_ID>/tokens.json); intents are kept beside it
  --json            plan: the plan as JSON; apply: the outcomes as JSON (needs --yes or FILE); unmanaged: a list
  --out FILE        plan: save the plan for \`apply FILE\` (0600; refused plans are not saved)
  --target NAME     plan/apply: only this credential's changes (repeatable), like terraform -target
  --no-color        no colour (also NO_COLOR=1); colour is on for a terminal only
  --yes, -y         apply: do not ask for confirmation
  --allow-deletes   plan/apply: lift the MAX_DELETES and empty-folder guards
  --policy PATH     plan/apply: the repository policy file (default: ngrok-gitops.policy.yaml beside the --dir folder, if any)
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
  "no-color": { type: "boolean" },
  policy: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Command = "plan" | "apply" | "token" | "unmanaged";

interface Parsed {
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
  color: boolean;
  /** --policy PATH, absolute (undefined: the file beside --dir, when there is one). */
  policy: string | undefined;
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
      case "unmanaged":
        return await unmanagedCommand(parsed, io);
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
  if (command !== "plan" && command !== "apply" && command !== "token" && command !== "unmanaged") {
    throw new CliError("CLI_USAGE", command === undefined ? "no command given: plan, apply, token or unmanaged (see --help)" : `unknown command ${JSON.stringify(command)}: plan, apply, token or unmanaged (see --help)`);
  }
  if (command === "token" ? rest.length !== 1 : rest.length > (command === "apply" ? 1 : 0)) {
    throw new CliError("CLI_USAGE", command === "token" ? "token takes exactly one NAME" : command === "apply" ? `apply takes at most one plan FILE, got ${JSON.stringify(rest.join(" "))}` : `${command} takes no arguments, got ${JSON.stringify(rest.join(" "))}`);
  }
  const only = (flag: keyof typeof OPTIONS, allowed: readonly Command[]) => {
    if (values[flag] !== undefined && !allowed.includes(command)) throw new CliError("CLI_USAGE", `--${flag} does not apply to ${command}`);
  };
  only("json", ["plan", "apply", "unmanaged"]);
  only("yes", ["apply"]);
  only("allow-deletes", ["plan", "apply"]);
  only("dir", ["plan", "apply"]);
  only("out", ["plan"]);
  only("target", ["plan", "apply"]);
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
    color: useColor({ tty: io.tty ?? false, env: io.env, noColor: values["no-color"] ?? false }),
    policy: values.policy === undefined ? undefined : resolve(io.cwd, values.policy),
  };
}

interface Context {
  vars: Record<string, string>;
  target: NgrokTarget;
  ngrok: NgrokClient;
  store: FileTokenStore;
  intents: FileIntentLog;
  options: Omit<RunOptions, "mode">;
  tokensPath: string;
}

/** Changes per progress line of a long apply (stderr, with the ETA at the account's rate limit). */
const PROGRESS_EVERY = 25;

/** What the CLI cannot do that the Worker does: deliveries need the Worker's GitHub credentials. */
export const CLI_NO_DELIVERY = "not delivered by the CLI: delivery needs GitHub credentials, which only the Worker holds; the Worker delivers on its next run";

async function context(parsed: Parsed, io: CliIo): Promise<Context> {
  const vars = mergeVars(io.env, await readDevVars(io.cwd));
  const target = ngrokTarget(vars);
  const config = runConfig(vars);
  // A CLI run waits less than the Worker would: a person is watching.
  // Paced to the account's limit (NGROK_RATE_LIMIT, default ngrok's 120 per 60 s), so a long apply meets no 429s.
  const ngrok = new NgrokClient({ baseUrl: target.url, apiKey: target.apiKey, maxRetries: 2, backoffCapMs: 2_000, timeoutMs: 20_000, rateLimit: config.ngrokRateLimit });
  const tokens = await tokensLocation(parsed.tokens, io.cwd, vars);
  if (tokens.legacyNote !== null) io.err(tokens.legacyNote);
  await checkStoreBinding(tokens.path, target.url, config.ownerId, false);
  const policy = await readPolicySource(parsed.dir, parsed.policy, io.cwd);
  // Reviewed settings (deliver, rotate_after, …) are compared with the specs this store last applied.
  const options = { ...config, allowDeletes: parsed.allowDeletes, policy, previous: await readAppliedSpecs(appliedPathFor(tokens.path)) };
  return { vars, target, ngrok, store: new FileTokenStore(tokens.path), intents: new FileIntentLog(intentsPathFor(tokens.path)), options, tokensPath: tokens.path };
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
  const listing = recordListing(ctx.ngrok);
  const result = await withTarget(ctx.target, () =>
    reconcile(sources, { ...ctx.options, mode: "plan" }, { ngrok: listing.api, vault: idsOnly(ctx.store), intents: ctx.intents, noDelivery: CLI_NO_DELIVERY, takeCalls: counter(ctx.ngrok) }),
  );
  if (result.kind === "invalid") {
    if (parsed.json) io.out(`${JSON.stringify({ errors: result.errors }, null, 2)}\n`);
    reportInvalid(result.errors.map(formatSpecError), result.files, io);
    return 1;
  }
  const plan = targeted(result.plan, parsed.targets, io);
  const view = cliView(plan).plan;
  io.out(parsed.json ? `${JSON.stringify(view, null, 2)}\n` : colorize(renderText(view), parsed.color));
  if (!parsed.json && view.deliveries.length > 0) io.out(deliveryNote(view.deliveries.length));
  if (plan.refusals.length > 0) {
    io.err(`error: the plan was refused (see above); nothing would be applied${parsed.out ? `, and no plan file was written` : ""}\n`);
    return 1;
  }
  if (parsed.out !== undefined) {
    const fingerprints = await fingerprintsOf(sources, listing.listed(), ctx);
    await writePlanFile(parsed.out, makePlanFile({ apiUrl: ctx.target.url, ownerId: ctx.options.ownerId, targets: parsed.targets, fingerprints, plan }));
    const shown = shortPath(parsed.out, io.cwd);
    (parsed.json ? io.err : io.out)(`\nSaved this plan to ${shown}. Apply exactly it with: npm run apply -- ${shown}\n`);
  }
  // A reviewed setting that changed is a change to review, though it needs no ngrok call: exit 2 as for changes.
  return plan.changes.length > 0 || (plan.settings?.length ?? 0) > 0 ? 2 : 0;
}

/** `--target`s narrow the plan (plan/target.ts); one that matches nothing is an error, as a typo would be. */
function targeted(plan: Plan, targets: readonly string[], io: CliIo): Plan {
  if (targets.length === 0) return plan;
  const { plan: narrowed, unknown } = targetPlan(plan, targets);
  if (unknown.length > 0) throw new CliError("CLI_TARGET", `--target ${unknown.map((t) => JSON.stringify(t)).join(", ")} names no credential in the specs or the account`);
  io.err(`note: --target: only ${targets.join(", ")}; other changes are left for an untargeted run\n`);
  return narrowed;
}

async function fingerprintsOf(sources: readonly SpecSource[], live: Parameters<typeof fingerprintAccount>[0], ctx: Context) {
  const stored = new Map((await ctx.store.list()).map((entry) => [entry.name, entry.id] as const));
  return { specs: fingerprintSpecs(sources), account: fingerprintAccount(live), local: fingerprintLocal(stored, await ctx.intents.list()) };
}

function shortPath(path: string, cwd: string): string {
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

/** `npm run unmanaged`: the live credentials without a marker (and only those: another installation's are not listed). */
async function unmanagedCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  const live = await withTarget(ctx.target, () => ctx.ngrok.list());
  const list = unmanagedCredentials(live);
  io.out(parsed.json ? `${JSON.stringify(list, null, 2)}\n` : renderUnmanaged(list, live.length));
  return 0;
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
  // A saved plan: the specs, the account and the local store must be as they were when it was made.
  const saved = parsed.planFile !== undefined ? await savedPlan(parsed.planFile, sources, ctx, io) : null;
  let shown: Plan | null = null;
  let cancelled = false;
  // A long apply says how far it is and when it will be done at the account's rate: a line per PROGRESS_EVERY changes.
  let progress: ProgressTracker | null = null;
  // One run of the core: the plan is shown (and confirmed) before anything is applied, and exactly it is applied.
  const approve = async (computed: Plan): Promise<Plan | null> => {
    const plan = targeted(computed, saved ? saved.targets : parsed.targets, io);
    if (saved && !samePlan(plan, saved.plan)) {
      throw new CliError("CLI_PLAN_STALE", `the saved plan ${shortPath(parsed.planFile ?? "", io.cwd)} no longer fits, so nothing was applied: planning now gives other changes. Plan again: npm run plan -- --out ${shortPath(parsed.planFile ?? "", io.cwd)}`);
    }
    shown = plan;
    const view = cliView(plan).plan;
    if (!parsed.json) io.out(colorize(renderText(view), parsed.color));
    if (!parsed.json && view.deliveries.length > 0) io.out(deliveryNote(view.deliveries.length));
    if (plan.changes.length === 0) return plan;
    // A saved plan was reviewed when it was made (terraform apply PLANFILE does not ask either).
    if (!parsed.yes && !saved) {
      if (!io.interactive) throw new CliError("CLI_NOT_CONFIRMED", "apply needs confirmation and no terminal is attached; pass --yes to apply without asking");
      const answer = (await io.ask("\nApply these changes? [y/N] ")).trim().toLowerCase();
      if (answer !== "y" && answer !== "yes") {
        cancelled = true;
        return null;
      }
    }
    if (!parsed.json) io.out("\n");
    await checkStoreBinding(ctx.tokensPath, ctx.target.url, ctx.options.ownerId, true);
    if (plan.changes.length > PROGRESS_EVERY) progress = new ProgressTracker({ total: plan.changes.length, limiter: ctx.ngrok.limiter, every: PROGRESS_EVERY, onProgress: (p) => io.err(`${formatProgress(p)}\n`) });
    return plan;
  };
  const result = await withTarget(ctx.target, () =>
    reconcile(sources, { ...ctx.options, mode: "apply" }, {
      ngrok: ctx.ngrok,
      vault,
      intents: ctx.intents,
      approve,
      noDelivery: CLI_NO_DELIVERY,
      takeCalls: counter(ctx.ngrok),
      reporter: {
        outcome: (_state, outcome: ChangeOutcome) => {
          if (!parsed.json) io.out(colorize(progressLine(outcome), parsed.color));
          progress?.tick();
        },
      },
    }),
  );
  if (result.kind === "invalid") {
    if (parsed.json) io.out(`${JSON.stringify({ errors: result.errors }, null, 2)}\n`);
    reportInvalid(result.errors.map(formatSpecError), result.files, io);
    return 1;
  }
  const plan: Plan = shown ?? targeted(result.plan, saved ? saved.targets : parsed.targets, io);
  if (shown === null && !parsed.json) io.out(colorize(renderText(cliView(plan).plan), parsed.color));
  const report = result.kind === "applied" ? result.report : null;
  if (parsed.json) io.out(`${JSON.stringify(applyJson(plan, report), null, 2)}\n`);
  if (plan.refusals.length > 0) {
    io.err("error: the plan was refused (see above); nothing was applied\n");
    return 1;
  }
  if (cancelled) {
    io.err("Apply cancelled; nothing was changed.\n");
    return 1;
  }
  // What the next plan compares reviewed settings with: only an apply of the whole plan converged to these specs.
  if (report?.ok === true && (saved ? saved.targets : parsed.targets).length === 0) await writeAppliedSpecs(appliedPathFor(ctx.tokensPath), sources);
  if (report === null || plan.changes.length === 0) return 0;
  if (!parsed.json) io.out(`\n${colorize(summary(plan, report, ctx.tokensPath, io.cwd), parsed.color)}`);
  return report.ok ? 0 : 1;
}

/** The plan saved in `file`, once the specs, the account and the local store are shown to be as they were; else nothing is done. */
async function savedPlan(file: string, sources: readonly SpecSource[], ctx: Context, io: CliIo): Promise<{ plan: Plan; targets: string[] }> {
  const saved = await readPlanFile(file);
  const live = await withTarget(ctx.target, () => ctx.ngrok.list());
  const stale = staleReasons(saved, { apiUrl: ctx.target.url, ownerId: ctx.options.ownerId, fingerprints: await fingerprintsOf(sources, live, ctx) });
  const shown = shortPath(file, io.cwd);
  if (stale.length > 0) {
    throw new CliError("CLI_PLAN_STALE", `the saved plan ${shown} no longer fits, so nothing was applied: ${stale.join("; ")}. Plan again: npm run plan -- --out ${shown}`);
  }
  if (saved.targets.length > 0) io.err(`note: ${shown} was planned with --target ${saved.targets.join(", ")}\n`);
  return { plan: saved.plan, targets: [...saved.targets] };
}

/** Whether planning now gives the changes and deliveries saved (the inputs matched, but time can move a rotation or an expiry). */
function samePlan(a: Plan, b: Plan): boolean {
  const shape = (plan: Plan) => JSON.stringify({ changes: plan.changes, deliveries: plan.deliveries, refusals: plan.refusals.map((r) => r.code) });
  return shape(a) === shape(b);
}

async function tokenCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const vars = mergeVars(io.env, await readDevVars(io.cwd));
  const name = parsed.name as string;
  const tokensPath = (await tokensLocation(parsed.tokens, io.cwd, vars)).path;
  await checkStoreBinding(tokensPath, apiUrlOf(vars), runConfig(vars).ownerId, false);
  const store = new FileTokenStore(tokensPath);
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
