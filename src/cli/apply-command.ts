// `apply` (plan, confirm, change the account; or apply a saved plan exactly) and `token NAME`.
import type { ChangeOutcome } from "../apply/types.js";
import type { SpecSource } from "../desired/types.js";
import { formatProgress, ProgressTracker } from "../ngrok/progress.js";
import { ResourceClient } from "../ngrok/resources.js";
import { renderText } from "../plan/render.js";
import type { Plan } from "../plan/types.js";
import { runLocal } from "../run/local.js";
import { FileTokenStore } from "../vault/file-store.js";
import { TokenVault } from "../vault/vault.js";
import type { Parsed } from "./args.js";
import { appliedPathFor, writeAppliedSpecs } from "./applied-specs.js";
import { applyJson } from "./apply-json.js";
import { colorize } from "./color.js";
import { runConfig } from "./config.js";
import { CLI_NO_DELIVERY, cliVars, cliView, context, counter, deliveryNote, fingerprintsOf, keyringOrExplain, PROGRESS_EVERY, reportInvalid, shortPath, targeted, withTarget, type CliIo, type Context } from "./context.js";
import { CliError } from "./errors.js";
import { progressLine, summary } from "./output.js";
import { readPlanFile, staleReasons } from "./plan-file.js";
import { readSpecSources } from "./sources.js";
import { apiUrlOf, checkStoreBinding, tokensLocation } from "./token-path.js";

export async function applyCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const ctx = await context(parsed, io);
  const keyring = await keyringOrExplain(ctx.vars, "apply encrypts the tokens it mints with it");
  const vault = new TokenVault(ctx.store, keyring);
  const sources = await readSpecSources(parsed.dir, io.cwd);
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
    runLocal(sources, { ...ctx.options, mode: "apply" }, {
      ngrok: ctx.ngrok,
      resources: new ResourceClient(ctx.ngrok),
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
    reportInvalid(result.errors, result.files, io, parsed.json);
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

export async function tokenCommand(parsed: Parsed, io: CliIo): Promise<number> {
  const vars = await cliVars(parsed, io);
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

