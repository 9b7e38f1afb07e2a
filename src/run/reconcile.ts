// One reconcile of local sources in one go: the core driven without a budget, for the CLI, the bench and the tests.
import type { IntentLog } from "../apply/types.js";
import type { Plan } from "../plan/types.js";
import type { SpecSource } from "../desired/types.js";
import { REPORT_RESERVE } from "../config.js";
import { SubrequestBudget, UNLIMITED } from "./budget.js";
import { advanceRun, RunError } from "./core.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { CredentialsPort, Deliverer, Reporter, RunConfig, RunPorts, TokenPort } from "./ports.js";
import type { FileCache } from "../desired/load.js";
import type { RunResult } from "./result.js";
import { newRunState, type RunState } from "./state.js";
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
  /**
   * Calls per invocation, as the Worker's MAX_SUBREQUESTS (the bench counts calls on the Worker's path): the run
   * then yields and resumes from its persisted state, keeping REPORT_RESERVE back. Unset: one go, no limit.
   */
  callsPerInvocation?: number;
  /** Work units per invocation (see cpu-units.ts), with callsPerInvocation: the bench's Workers Free run. */
  unitsPerInvocation?: number;
  /** The repository policy file to judge the specs with (the CLI's --policy, or the one beside --dir); null: none. */
  policy?: SpecSource | null;
  /** The run's instant in ms (default now): expiry and policy lifetimes are judged from it. */
  now?: number;
  /**
   * The specs last applied from here (the CLI's local store), which the reviewed settings are compared with; null:
   * nothing applied yet (the plan notes it); left out: nothing is compared.
   */
  previous?: { label: string; sources: SpecSource[] } | null;
  /** Parsed files by key, kept between runs as the Durable Object keeps them: the start stage then parses file by file. */
  cache?: FileCache;
  /** Wraps each invocation (one advanceRun call): the bench times each one. */
  invocation?: (advance: () => Promise<RunOutput | null>) => Promise<RunOutput | null>;
}

/** The credentials API, each call taken from the budget (no fetch to count: the caller made the client). */
function budgeted(ngrok: CredentialsPort, budget: SubrequestBudget): CredentialsPort {
  return {
    listPage: (cursor) => (budget.take(), ngrok.listPage(cursor)),
    create: (body) => (budget.take(), ngrok.create(body)),
    update: (id, body) => (budget.take(), ngrok.update(id, body)),
    delete: (id) => (budget.take(), ngrok.delete(id)),
  };
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
  const scratch = new MemoryScratch();
  scratch.save(newRunState(0, "local", { cause: "manual", mode: options.mode, actor: "cli", ...(options.allowDeletes ? { allowDeletes: true } : {}), ...(options.rotate ? { rotate: options.rotate } : {}) }, options.mode, options.now));
  const limit = options.callsPerInvocation;
  const previous = options.previous;
  // The core's stall rule and invocation cap end a run that does not finish.
  for (;;) {
    const budget = limit === undefined ? null : new SubrequestBudget(limit, undefined, options.unitsPerInvocation);
    const ports: RunPorts = {
      config: options,
      specs: {
        read: async () => ({ sha: null, tree: null, sources: [...sources], policy: { head: options.policy ?? null }, ...(previous !== undefined ? { baseline: previous && { ref: null, label: previous.label } } : {}) }),
        previous: async () => previous?.sources ?? null,
        ...(options.cache ? { cache: options.cache } : {}),
      },
      ngrok: budget ? budgeted(deps.ngrok, budget) : deps.ngrok,
      tokens: deps.vault,
      intents: deps.intents,
      scratch,
      reporter: capture,
      ...(deps.deliverer ? { deliverer: deps.deliverer } : {}),
      ...(deps.noDelivery ? { noDelivery: deps.noDelivery } : {}),
      ...(deps.approve ? { approve: deps.approve } : {}),
      ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
      budget: budget ?? UNLIMITED,
      reserve: budget ? REPORT_RESERVE : 0,
      takeCalls: deps.takeCalls ?? (() => ({ ngrok: 0, github: 0 })),
    };
    const advance = () => advanceRun(scratch.load() as RunState, ports, { maxInvocations: 100_000 });
    const output = await (options.invocation ? options.invocation(advance) : advance());
    if (output) {
      if (!result) throw new RunError("RUN_INTERNAL", "internal: the run ended without a result");
      return Object.assign(result as RunResult, { output });
    }
    if (!budget) throw new RunError("RUN_INTERNAL", "internal: an unlimited run yielded");
  }
}
