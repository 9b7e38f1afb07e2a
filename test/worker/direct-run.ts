// Test helper: runs one request to its end in this call, through driveRun and the same ports as the alarm.
import type { Config } from "../../src/config.js";
import { SubrequestBudget } from "../../src/run/budget.js";
import { unitsForCpuMs } from "../../src/run/cpu-units.js";
import { driveRun } from "../../src/run/core.js";
import { newRunState } from "../../src/run/state.js";
import { effectiveMode, type RunOutput, type RunRequest } from "../../src/run/types.js";
import { keyringFor, KvTokenStore, TokenVault } from "../../src/vault/index.js";
import { accountLimiter, workerPorts, workerSettings } from "../../src/reconciler/ports.js";
import type { ReconcilerStorage } from "../../src/reconciler/storage.js";

/** Never call it while the Durable Object has a run of its own in progress: it shares the run scratch and clears it. */
export async function executeRun(request: RunRequest, ctx: { env: Env; config: Config; storage: ReconcilerStorage; runId: number }): Promise<RunOutput> {
  const state = newRunState(ctx.runId, "direct", request, effectiveMode(request, ctx.config.driftMode));
  const vault = new TokenVault(new KvTokenStore(ctx.env.TOKENS), await keyringFor(ctx.env.TOKEN_ENCRYPTION_KEYS));
  try {
    const limiter = accountLimiter(ctx.config, ctx.storage);
    return await driveRun(state, () => workerPorts({ env: ctx.env, config: ctx.config, storage: ctx.storage, budget: new SubrequestBudget(ctx.config.maxSubrequests, undefined, unitsForCpuMs(ctx.config.maxCpuMs)), vault, limiter }), { settings: workerSettings(ctx.config), maxInvocations: 10_000 });
  } finally {
    ctx.storage.scratch.clear();
  }
}
