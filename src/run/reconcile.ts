// One reconcile run: specs + live account → plan → (optionally) apply. The CLI, the Worker and the bench call this.
import { applyPlan } from "../apply/apply.js";
import type { ApplyReport, ChangeOutcome, CredentialsApi, IntentLog, TokenKeeper } from "../apply/types.js";
import type { Credential } from "../ngrok/types.js";
import { makePlan } from "../plan/plan.js";
import type { Plan } from "../plan/types.js";
import type { SpecError } from "../spec/errors.js";
import { loadSpecs } from "../spec/load.js";
import type { SpecSource } from "../spec/types.js";

export interface RunDeps {
  ngrok: CredentialsApi & { list(): Promise<Credential[]> };
  vault: TokenKeeper & { ids(): Promise<Map<string, string>> };
  intents: IntentLog;
  onOutcome?: (outcome: ChangeOutcome) => void | Promise<void>;
  concurrency?: number;
}

export interface RunOptions {
  ownerId: string;
  maxDeletes: number;
  allowDeletes?: boolean;
  /** "plan" reads only (GET calls); "apply" changes the account when the plan is not refused. */
  mode: "plan" | "apply";
}

export type RunResult =
  /** Bad specs: nothing was read from ngrok and nothing applied. */
  | { kind: "invalid"; errors: SpecError[]; files: number }
  /** Planned only: plan mode, or a refused plan (see plan.refusals). */
  | { kind: "planned"; plan: Plan; live: number }
  | { kind: "applied"; plan: Plan; live: number; report: ApplyReport };

export async function reconcile(sources: readonly SpecSource[], options: RunOptions, deps: RunDeps): Promise<RunResult> {
  const loaded = loadSpecs(sources, { ownerId: options.ownerId });
  if (!loaded.ok) return { kind: "invalid", errors: loaded.errors, files: loaded.files };
  const [live, stored, intents] = await Promise.all([deps.ngrok.list(), deps.vault.ids(), deps.intents.list()]);
  const plan = makePlan({
    ownerId: options.ownerId,
    specs: loaded.specs,
    live,
    stored,
    intents,
    specFiles: loaded.files,
    maxDeletes: options.maxDeletes,
    allowDeletes: options.allowDeletes ?? false,
  });
  if (options.mode === "plan" || plan.refusals.length > 0) return { kind: "planned", plan, live: live.length };
  const report = await applyPlan(plan, { ...deps, stored });
  return { kind: "applied", plan, live: live.length, report };
}
