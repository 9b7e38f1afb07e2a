// The local driver: a reconcile of local spec sources through driveRun, in memory, for the CLI, the bench and the tests.
import type { IntentLog } from "../apply/types.js";
import type { ResourcesApi } from "../ngrok/resources.js";
import type { Plan } from "../plan/types.js";
import type { SpecSource } from "../desired/types.js";
import { REPORT_RESERVE } from "../config.js";
import { SubrequestBudget, UNLIMITED } from "./budget.js";
import { maxParseBytes } from "./cpu-units.js";
import { driveRun, RunError } from "./core.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { CredentialsPort, Deliverer, KindsLedger, Reporter, RunConfig, RunPorts, RunSettings, TokenPort } from "./ports.js";
import type { RunResult } from "./result.js";
import type { FileCache } from "../desired/load.js";
import { newRunState } from "./state.js";
import type { RunOutput } from "./types.js";

export type { RunResult } from "./result.js";

export interface RunDeps {
  ngrok: CredentialsPort;
  /** The other kinds (service users, API keys, SSH credentials); absent, a plan whose specs use them is refused. */
  resources?: ResourcesApi;
  /** The kinds applied from here (the CLI's file beside its token store). */
  kindsApplied?: KindsLedger;
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
  /** Called as each invocation begins (its ports are made): the bench times each one from it. */
  onInvocation?: () => void;
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

/** The other kinds' calls, each taken from the budget as the credentials' are. */
function budgetedResources(api: ResourcesApi, budget: SubrequestBudget): ResourcesApi {
  return {
    listPage: (kind, cursor) => (budget.take(), api.listPage(kind, cursor)),
    create: (kind, body) => (budget.take(), api.create(kind, body)),
    update: (kind, id, body) => (budget.take(), api.update(kind, id, body)),
    delete: (kind, id) => (budget.take(), api.delete(kind, id)),
  };
}

/** Invocations a local run may take: at 50 calls each, a 10,000-credential account's listing alone takes 200. */
const LOCAL_MAX_INVOCATIONS = 100_000;

/** Reconciles `sources` through the run core (driveRun); returns the result (and the output the Worker would report). */
export async function runLocal(sources: readonly SpecSource[], options: RunOptions, deps: RunDeps): Promise<RunResult & { output: RunOutput }> {
  let result: RunResult | null = null;
  const reporter: Reporter = {
    ...deps.reporter,
    finish: async (state, r, output) => {
      result = r;
      await deps.reporter?.finish?.(state, r, output);
    },
  };
  const state = newRunState(0, "local", { cause: "manual", mode: options.mode, actor: "cli", ...(options.allowDeletes ? { allowDeletes: true } : {}), ...(options.rotate ? { rotate: options.rotate } : {}) }, options.mode, options.now);
  const scratch = new MemoryScratch();
  scratch.save(state);
  const limit = options.callsPerInvocation;
  const previous = options.previous;
  const specs: RunPorts["specs"] = {
    read: async () => ({ sha: null, tree: null, sources: [...sources], policy: { head: options.policy ?? null }, ...(previous !== undefined ? { baseline: previous && { ref: null, label: previous.label } } : {}) }),
    previous: async () => previous?.sources ?? null,
    ...(options.cache ? { cache: options.cache } : {}),
  };
  const portsFor = (): RunPorts => {
    options.onInvocation?.();
    const budget = limit === undefined ? null : new SubrequestBudget(limit, undefined, options.unitsPerInvocation);
    return {
      specs,
      ngrok: budget ? budgeted(deps.ngrok, budget) : deps.ngrok,
      ...(deps.resources ? { resources: budget ? budgetedResources(deps.resources, budget) : deps.resources } : {}),
      ...(deps.kindsApplied ? { kindsApplied: deps.kindsApplied } : {}),
      tokens: deps.vault,
      intents: deps.intents,
      scratch,
      reporter,
      ...(deps.deliverer ? { deliverer: deps.deliverer } : {}),
      ...(deps.approve ? { approve: deps.approve } : {}),
      budget: budget ?? UNLIMITED,
      takeCalls: deps.takeCalls ?? (() => ({ ngrok: 0, github: 0 })),
    };
  };
  const settings: RunSettings = {
    config: options,
    reserve: limit === undefined ? 0 : REPORT_RESERVE,
    ...(limit !== undefined && options.unitsPerInvocation !== undefined ? { maxParseBytes: maxParseBytes(options.unitsPerInvocation) } : {}),
    ...(deps.noDelivery ? { noDelivery: deps.noDelivery } : {}),
    ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
  };
  const output = await driveRun(state, portsFor, { settings, maxInvocations: LOCAL_MAX_INVOCATIONS });
  if (!result) throw new RunError("RUN_INTERNAL", "internal: the run ended without a result");
  return Object.assign(result as RunResult, { output });
}
