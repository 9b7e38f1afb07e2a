// Runs one request to its end in this call through the same core and ports as the alarm: for tests and tools.
import type { Config } from "../config.js";
import { SubrequestBudget } from "../run/budget.js";
import { unitsForCpuMs } from "../run/cpu-units.js";
import { driveRun } from "../run/core.js";
import { newRunState } from "../run/state.js";
import { effectiveMode, type RunOutput, type RunRequest } from "../run/types.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import { accountLimiter, workerPorts } from "./ports.js";
import type { ReconcilerStorage } from "./storage.js";

/** Never call it while the Durable Object has a run of its own in progress: it shares the run scratch and clears it. */
export async function executeRun(request: RunRequest, ctx: { env: Env; config: Config; storage: ReconcilerStorage; runId: number }): Promise<RunOutput> {
  const state = newRunState(ctx.runId, "direct", request, effectiveMode(request, ctx.config.driftMode));
  const vault = new TokenVault(new KvTokenStore(ctx.env.TOKENS), await keyringFor(ctx.env.TOKEN_ENCRYPTION_KEYS));
  try {
    const limiter = accountLimiter(ctx.config, ctx.storage);
    return await driveRun(state, () => workerPorts({ env: ctx.env, config: ctx.config, storage: ctx.storage, budget: new SubrequestBudget(ctx.config.maxSubrequests, undefined, unitsForCpuMs(ctx.config.maxCpuMs)), vault, limiter }));
  } finally {
    ctx.storage.scratch.clear();
  }
}
