// What every command shares: the process's I/O, the settings and local edges a run is wired to, and how the CLI reports.
import { NgrokClient } from "../ngrok/client.js";
import { NgrokNetworkError } from "../ngrok/errors.js";
import type { Plan } from "../plan/types.js";
import { targetPlan } from "../plan/target.js";
import type { RunDeps, RunOptions } from "../run/local.js";
import { formatSpecError, type SpecError } from "../desired/errors.js";
import type { SpecSource } from "../desired/types.js";
import { FileTokenStore } from "../vault/file-store.js";
import { importKeyring } from "../vault/keyring.js";
import type { Parsed } from "./args.js";
import { mergeVars, ngrokTarget, runConfig, type NgrokTarget } from "./config.js";
import { readDevVars } from "./dotenv.js";
import { CliError, messageOf } from "./errors.js";
import { appliedPathFor, readAppliedSpecs } from "./applied-specs.js";
import { FileIntentLog, intentsPathFor } from "./file-intents.js";
import { fingerprintAccount, fingerprintLocal, fingerprintSpecs } from "./plan-file.js";
import { fingerprintKinds, type KindListing } from "./plan-file-kinds.js";
import { readPolicySource } from "./repo-policy-source.js";
import { checkStoreBinding, tokensLocation } from "./token-path.js";
import type { CliIo } from "./io.js";

export type { CliIo } from "./io.js";

/** The environment over .dev.vars, with `--owner-id` (a read-only preview) over OWNER_ID. */
export async function cliVars(parsed: Pick<Parsed, "ownerId">, io: CliIo): Promise<Record<string, string>> {
  const vars = mergeVars(io.env, await readDevVars(io.cwd));
  if (parsed.ownerId !== undefined) vars.OWNER_ID = parsed.ownerId;
  return vars;
}

export interface Context {
  vars: Record<string, string>;
  target: NgrokTarget;
  ngrok: NgrokClient;
  store: FileTokenStore;
  intents: FileIntentLog;
  options: Omit<RunOptions, "mode">;
  tokensPath: string;
}

/** Changes per progress line of a long apply (stderr, with the ETA at the account's rate limit). */
export const PROGRESS_EVERY = 25;

/** What the CLI cannot do that the Worker does: deliveries need the Worker's GitHub credentials. */
export const CLI_NO_DELIVERY = "not delivered by the CLI: delivery needs GitHub credentials, which only the Worker holds; the Worker delivers on its next run";

export async function context(parsed: Parsed, io: CliIo): Promise<Context> {
  const vars = await cliVars(parsed, io);
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
export function idsOnly(store: FileTokenStore): RunDeps["vault"] {
  const refuse = (): Promise<never> => Promise.reject(new Error("internal: plan does not read or write tokens"));
  return { store: refuse, remove: refuse, read: refuse, ids: async () => new Map((await store.list()).map((entry) => [entry.name, entry.id])) };
}

export function counter(ngrok: NgrokClient): () => { ngrok: number; github: number } {
  return () => {
    const taken = ngrok.stats.requests;
    ngrok.resetStats();
    return { ngrok: taken, github: 0 };
  };
}

export async function keyringOrExplain(vars: Record<string, string>, why: string) {
  if (vars.TOKEN_ENCRYPTION_KEYS === undefined) {
    throw new CliError(
      "CLI_CONFIG",
      `TOKEN_ENCRYPTION_KEYS is not set; ${why}. Set it in the environment or in .dev.vars as kid:base64key ` +
        `(32 random bytes, e.g. local1:$(openssl rand -base64 32)); \`npm start\` writes a .dev.vars with one on its first run`,
    );
  }
  return importKeyring(vars.TOKEN_ENCRYPTION_KEYS);
}

export function reportInvalid(errors: readonly SpecError[], files: number, io: CliIo, json: boolean, after = "; nothing was read from ngrok or changed"): void {
  if (json) io.out(`${JSON.stringify({ status: "invalid", files, errors }, null, 2)}\n`);
  for (const error of errors) io.err(`${formatSpecError(error)}\n`);
  io.err(`error: ${errors.length} error${errors.length === 1 ? "" : "s"} in ${files} spec file${files === 1 ? "" : "s"}${after}\n`);
}

/** A connection failure against the emulator most likely means it is not running: say how to start it. */
export async function withTarget<T>(target: NgrokTarget, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NgrokNetworkError && target.emulator) {
      // `npm run emulator` needs --port: name the exact command that would answer at this URL.
      const port = new URL(target.url).port || "80";
      throw new CliError("CLI_CONFIG", `${messageOf(error)} at ${target.url}; is the emulator running? (\`npm start\`, or \`npm run emulator -- --port ${port}\`)`, { cause: error });
    }
    throw error;
  }
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

export function deliveryNote(n: number): string {
  return `Note: ${n} deliver${n === 1 ? "y is" : "ies are"} ${CLI_NO_DELIVERY}.\n`;
}

/** `--target`s narrow the plan (plan/target.ts); one that matches nothing is an error, as a typo would be. */
export function targeted(plan: Plan, targets: readonly string[], io: CliIo): Plan {
  if (targets.length === 0) return plan;
  const { plan: narrowed, unknown } = targetPlan(plan, targets);
  if (unknown.length > 0) throw new CliError("CLI_TARGET", `--target ${unknown.map((t) => JSON.stringify(t)).join(", ")} names no credential in the specs or the account`);
  io.err(`note: --target: only ${targets.join(", ")}; other changes are left for an untargeted run\n`);
  return narrowed;
}

export async function fingerprintsOf(sources: readonly SpecSource[], live: Parameters<typeof fingerprintAccount>[0], kinds: KindListing, ctx: Context) {
  const stored = new Map((await ctx.store.list()).map((entry) => [entry.name, entry.id] as const));
  return { specs: fingerprintSpecs(sources), account: fingerprintAccount(live), local: fingerprintLocal(stored, await ctx.intents.list()), kinds: fingerprintKinds(kinds) };
}

export function shortPath(path: string, cwd: string): string {
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

