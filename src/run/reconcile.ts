// One reconcile of local sources in one go: the core driven without a budget, for the CLI, the bench and the tests.
import type { IntentLog } from "../apply/types.js";
import type { Plan } from "../plan/types.js";
import type { SpecSource } from "../spec/types.js";
import { UNLIMITED } from "./budget.js";
import { advanceRun, RunError } from "./core.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { CredentialsPort, Deliverer, Reporter, RunConfig, TokenPort } from "./ports.js";
import type { RunResult } from "./result.js";
import { newRunState } from "./state.js";
import type { RunOutput } from "./types.js";

export type { RunResult } from "./result.js";

export interface RunDeps {
  ngrok: CredentialsPort;
  vault: TokenPort;
  intents: IntentLog;
  reporter?: Reporter;
  deliverer?: Deliverer;
  /** Why deliveries are skipped without a deliverer (the CLI names what it lacks). */
  noDelivery?: string;
  concurrency?: number;
  /** See RunPorts.approve. */
  approve?: (plan: Plan) => Promise<Plan | null>;
  /** Counts the calls made (api_calls of the output); zero when absent. */
  takeCalls?: () => { ngrok: number; github: number };
}

export interface RunOptions extends RunConfig {
  allowDeletes?: boolean;
  /** "plan" reads only (GET calls); "apply" changes the account when the plan is not refused. */
  mode: "plan" | "apply";
  /** Credentials to rotate now whatever their age. */
  rotate?: string[];
}

/** Reconciles `sources` through the run core; returns the result (and the output the Worker would report). */
export async function reconcile(sources: readonly SpecSource[], options: RunOptions, deps: RunDeps): Promise<RunResult & { output: RunOutput }> {
  let result: RunResult | null = null;
  const capture: Reporter = {
    ...deps.reporter,
    finish: async (state, r, output) => {
      result = r;
      await deps.reporter?.finish?.(state, r, output);
    },
  };
  const state = newRunState(0, "local", { cause: "manual", mode: options.mode, actor: "cli", ...(options.allowDeletes ? { allowDeletes: true } : {}), ...(options.rotate ? { rotate: options.rotate } : {}) }, options.mode);
  const output = await advanceRun(state, {
    config: options,
    specs: { read: async () => ({ sha: null, tree: null, sources: [...sources] }) },
    ngrok: deps.ngrok,
    tokens: deps.vault,
    intents: deps.intents,
    scratch: new MemoryScratch(),
    reporter: capture,
    ...(deps.deliverer ? { deliverer: deps.deliverer } : {}),
    ...(deps.noDelivery ? { noDelivery: deps.noDelivery } : {}),
    ...(deps.approve ? { approve: deps.approve } : {}),
    ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
    budget: UNLIMITED,
    reserve: 0,
    takeCalls: deps.takeCalls ?? (() => ({ ngrok: 0, github: 0 })),
  });
  if (!output || !result) throw new RunError("RUN_INTERNAL", "internal: an unlimited run yielded");
  return Object.assign(result as RunResult, { output });
}
