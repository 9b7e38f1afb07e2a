// THE run core: advances one run within a budget of calls, persisting after every step, so a stop anywhere resumes cleanly.
import { applyPlan, phaseOf } from "../apply/apply.js";
import type { ChangeOutcome, TokenKeeper } from "../apply/types.js";
import { makePlan } from "../plan/plan.js";
import type { Change, Delivery, Plan } from "../plan/types.js";
import { loadSpecs } from "../spec/load.js";
import type { RevealedToken, RunPorts } from "./ports.js";
import { describe, type RunResult } from "./result.js";
import type { DeliveryResult, RunState } from "./state.js";
import { allowsDeletes, rotations, type RunOutput, type RunProgress } from "./types.js";

/** Budget a change is planned to cost (a replace is two calls); retries beyond it come out of the reserve. */
export const CALLS_PER_CHANGE = 2;
/** A delivery costs a public-key fetch (once per repository) and a PUT or DELETE. */
const CALLS_PER_DELIVERY = 2;
/** Plans one run may make: each stop with changes in flight costs one more (list + plan again). */
export const MAX_ROUNDS = 5;
/** Invocations in a row without progress after which the run fails rather than spin. */
export const MAX_IDLE = 5;

export class RunError extends Error {
  constructor(
    readonly code: "RUN_NO_ROOM" | "RUN_NO_PROGRESS" | "RUN_TOO_MANY_ROUNDS" | "RUN_PAGING_LOOP" | "RUN_INTERNAL",
    message: string,
  ) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * Advances the run as far as this invocation's budget allows. Returns the finished run's output, or null when
 * it yielded (its state is saved; call again, in a later invocation, with the same state or the saved one).
 * Throws when the run failed; the state then holds the calls made so far.
 */
export async function advanceRun(state: RunState, ports: RunPorts): Promise<RunOutput | null> {
  state.invocations++;
  const mark = progressMark(state);
  const run = new Step(state, ports);
  try {
    const output = await run.step();
    if (output) return output;
  } catch (error) {
    // A call refused for want of budget outside the apply stage: nothing half done, the next invocation redoes it.
    if (!(ports.budget.refused && state.stage !== "apply")) {
      run.count();
      await ports.reporter?.failed?.(state, error);
      throw error;
    }
  }
  state.idle = progressMark(state) === mark ? state.idle + 1 : 0;
  if (state.idle >= MAX_IDLE) {
    const error = new RunError("RUN_NO_PROGRESS", `the run made no progress in ${MAX_IDLE} invocations in a row (stage ${state.stage}); it was stopped rather than retried forever`);
    run.count();
    await ports.reporter?.failed?.(state, error);
    throw error;
  }
  await run.persist();
  return null;
}

/** Drives a run to its end: one call of advanceRun per invocation, with the ports (and budget) of each. */
export async function driveRun(state: RunState, portsFor: () => RunPorts, maxInvocations = 10_000): Promise<RunOutput> {
  for (let i = 0; i < maxInvocations; i++) {
    const output = await advanceRun(state, portsFor());
    if (output) return output;
  }
  throw new RunError("RUN_NO_PROGRESS", `the run did not finish in ${maxInvocations} invocations`);
}

/**
 * The order changes are applied in: cleanup (orphans, duplicates, retired), then creates, imports and updates,
 * then replaces and rotations (new credential first), then deletes of removed specs. Indices into plan.changes.
 */
export function applyOrder(changes: readonly Change[]): number[] {
  return changes.map((c, i) => [phaseOf(c), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
}

function progressMark(state: RunState): string {
  return JSON.stringify([state.stage, state.cursor, state.listed, state.round, state.applied, state.delivered, state.inFlight]);
}

export function progressOf(state: RunState): RunProgress {
  return { stage: state.stage, listed: state.listed, changes: state.total, applied: state.applied, invocations: state.invocations, max_subrequests: state.max_subrequests };
}

class Step {
  /** Tokens minted in this invocation, handed to delivery in memory (never read back from an eventually consistent store). */
  readonly minted = new Map<string, RevealedToken>();

  constructor(
    readonly state: RunState,
    readonly ports: RunPorts,
  ) {}

  count(): void {
    const calls = this.ports.takeCalls();
    this.state.calls = { ngrok: this.state.calls.ngrok + calls.ngrok, github: this.state.calls.github + calls.github };
    this.state.max_subrequests = Math.max(this.state.max_subrequests, Number.isFinite(this.ports.budget.used) ? this.ports.budget.used : 0);
  }

  async persist(): Promise<void> {
    this.count();
    await this.ports.scratch.save(this.state);
  }

  /** Fails the run at once when even a whole invocation's budget cannot fit one step of `cost` calls. */
  roomFor(cost: number): boolean {
    const { budget, reserve } = this.ports;
    if (budget.limit - reserve < cost) {
      throw new RunError("RUN_NO_ROOM", `MAX_SUBREQUESTS=${budget.limit} leaves no room: ${reserve} subrequests are kept for reporting and the next step needs ${cost}; set MAX_SUBREQUESTS to at least ${reserve + CALLS_PER_CHANGE}`);
    }
    return budget.remaining() - reserve >= cost;
  }

  async step(): Promise<RunOutput | null> {
    const { state, ports } = this;
    for (;;) {
      switch (state.stage) {
        case "start": {
          const snapshot = await ports.specs.read(state);
          state.sha = snapshot.sha;
          state.tree = snapshot.tree;
          if (snapshot.skipped !== undefined) {
            state.skipped = snapshot.skipped;
            state.stage = "report";
          } else {
            await ports.reporter?.started?.(state);
            await ports.scratch.saveSources(snapshot.sources);
            const loaded = loadSpecs(snapshot.sources, { ownerId: ports.config.ownerId, ...(ports.specs.cache ? { cache: ports.specs.cache } : {}) });
            if (loaded.ok) state.stage = "list";
            else {
              state.invalid = loaded.errors;
              state.specFiles = loaded.files;
              state.stage = "report";
            }
          }
          await this.persist();
          break;
        }
        case "list": {
          if (state.cursor === null) {
            await ports.scratch.clearLive();
            state.listed = 0;
          }
          while (state.cursor !== "end") {
            if (!this.roomFor(1)) return null;
            const page = await ports.ngrok.listPage(state.cursor);
            if (page.next !== null && page.next === state.cursor) throw new RunError("RUN_PAGING_LOOP", "ngrok's next_page_uri points at the page just read");
            await ports.scratch.addLive(page.credentials);
            state.listed += page.credentials.length;
            state.cursor = page.next ?? "end";
            await this.persist();
          }
          state.stage = "plan";
          await this.persist();
          break;
        }
        case "plan":
          await this.plan();
          break;
        case "apply": {
          const done = await this.apply();
          if (!done) return null;
          break;
        }
        case "deliver": {
          const done = await this.deliver();
          if (!done) return null;
          break;
        }
        case "report":
          return this.finish();
      }
    }
  }

  async plan(): Promise<void> {
    const { state, ports } = this;
    const loaded = loadSpecs(await ports.scratch.loadSources(), { ownerId: ports.config.ownerId, ...(ports.specs.cache ? { cache: ports.specs.cache } : {}) });
    if (!loaded.ok) throw new RunError("RUN_INTERNAL", "internal: specs validated at the start no longer validate");
    const live = await ports.scratch.loadLive();
    state.listed = live.length;
    // A rotation asked for and done in an earlier round is not done again.
    const rotated = new Set((await ports.scratch.loadOutcomes()).filter((r) => r.outcome.status === "done" && r.outcome.change.action === "rotate").map((r) => r.outcome.change.name));
    const plan = makePlan({
      ownerId: ports.config.ownerId,
      specs: loaded.specs,
      live,
      stored: await ports.tokens.ids(),
      intents: await ports.intents.list(),
      specFiles: loaded.files,
      maxDeletes: ports.config.maxDeletes,
      allowDeletes: allowsDeletes(state.request, state.sha),
      ...(ports.config.rotationGraceMs !== undefined ? { rotationGraceMs: ports.config.rotationGraceMs } : {}),
      ...(ports.config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: ports.config.defaultRotateAfterMs } : {}),
      rotateNow: new Set(rotations(state.request).filter((name) => !rotated.has(name))),
      delivered: ports.deliverer ? await ports.deliverer.records() : [],
    });
    await ports.scratch.savePlan(plan);
    state.total = plan.changes.length;
    state.applied = 0;
    let applying = state.mode === "apply" && plan.refusals.length === 0;
    if (applying && (plan.changes.length > 0 || plan.deliveries.length > 0) && ports.approve && !(await ports.approve(plan))) {
      state.declined = true;
      state.mode = "plan";
      applying = false;
    }
    if (applying && plan.changes.length === 0) for (const intent of plan.staleIntents) await ports.intents.close(intent);
    state.stage = applying && plan.changes.length > 0 ? "apply" : applying && plan.deliveries.length > 0 ? "deliver" : "report";
    await this.persist();
  }

  /** Applies the plan's changes in batches that fit the budget; true when the stage is over. */
  async apply(): Promise<boolean> {
    const { state, ports } = this;
    if (state.inFlight) {
      // The last invocation stopped with changes in flight: how they ended is unknown, so list and plan again.
      if (state.round + 1 >= MAX_ROUNDS) throw new RunError("RUN_TOO_MANY_ROUNDS", `the run was cut off with changes in flight ${MAX_ROUNDS} times; it stops here and the next run starts afresh`);
      state.inFlight = false;
      state.round++;
      state.stage = "list";
      state.cursor = null;
      await this.persist();
      return true;
    }
    const plan = await ports.scratch.loadPlan();
    const recorded = (await ports.scratch.loadOutcomes()).filter((r) => r.round === state.round);
    if (recorded.some((r) => r.outcome.status === "failed")) {
      state.stage = "report";
      await this.persist();
      return true;
    }
    const done = new Set(recorded.map((r) => r.index));
    const pending = applyOrder(plan.changes).filter((i) => !done.has(i));
    const keeper = this.keeper();
    while (pending.length > 0) {
      if (!this.roomFor(CALLS_PER_CHANGE)) return false;
      const batch = pending.splice(0, Math.floor((ports.budget.remaining() - ports.reserve) / CALLS_PER_CHANGE));
      const first = state.applied === 0;
      state.inFlight = true;
      await this.persist();
      let unknown = false;
      const report = await applyPlan(
        { ...plan, changes: batch.map((i) => plan.changes[i] as Change), staleIntents: first ? plan.staleIntents : [] },
        {
          ngrok: ports.ngrok,
          vault: keeper,
          intents: ports.intents,
          stored: await ports.tokens.ids(),
          ...(ports.concurrency !== undefined ? { concurrency: ports.concurrency } : {}),
          onOutcome: async (outcome: ChangeOutcome, j: number) => {
            // A failure once the budget refused a call may have been half done: the next round finds out.
            if (outcome.status === "failed" && ports.budget.refused) {
              unknown = true;
              return;
            }
            await ports.scratch.saveOutcome(state.round, batch[j] as number, outcome);
            state.applied++;
            await ports.reporter?.outcome?.(state, outcome);
            await this.persist();
          },
        },
      );
      if (unknown) return false;
      state.inFlight = false;
      await this.persist();
      if (!report.ok) {
        state.stage = "report";
        await this.persist();
        return true;
      }
    }
    // Tokens are delivered only once every change went through.
    state.stage = plan.deliveries.length > 0 ? "deliver" : "report";
    await this.persist();
    return true;
  }

  /** The token keeper apply writes through: it remembers what this invocation minted, for delivery. */
  keeper(): TokenKeeper {
    const { tokens } = this.ports;
    return {
      store: async (name, id, token) => {
        await tokens.store(name, id, token);
        this.minted.set(name, { name, id, token });
      },
      remove: async (name) => {
        await tokens.remove(name);
        this.minted.delete(name);
      },
    };
  }

  async deliver(): Promise<boolean> {
    const { state, ports } = this;
    const plan = await ports.scratch.loadPlan();
    while (state.delivered < plan.deliveries.length) {
      const delivery = plan.deliveries[state.delivered] as Delivery;
      const result: DeliveryResult = { action: delivery.action, name: delivery.name, key: delivery.target.key, status: "done" };
      let id: string | null = null;
      if (!ports.deliverer) {
        result.status = "skipped";
        result.error = ports.noDelivery ?? "this driver cannot deliver tokens";
      } else {
        if (!this.roomFor(CALLS_PER_DELIVERY)) return false;
        try {
          if (delivery.action === "deliver") {
            const token = await this.tokenFor(delivery.name);
            id = token.id;
            await ports.deliverer.deliver(delivery, token);
          } else await ports.deliverer.undeliver(delivery);
        } catch (error) {
          // Refused for want of budget: nothing is recorded, the next invocation delivers it (a PUT is idempotent).
          if (ports.budget.refused) return false;
          result.status = "failed";
          result.error = error instanceof Error ? error.message : String(error);
        }
      }
      state.deliveries.push(result);
      state.delivered++;
      await ports.reporter?.delivery?.(state, result, id);
      await this.persist();
    }
    state.stage = "report";
    await this.persist();
    return true;
  }

  /** The token to deliver: the one minted in this invocation, else the stored one if it is the credential the ledger names. */
  async tokenFor(name: string): Promise<RevealedToken> {
    const minted = this.minted.get(name);
    if (minted) return minted;
    const [token, ids] = await Promise.all([this.ports.tokens.read(name), this.ports.tokens.ids()]);
    if (!token) throw new Error(`no stored token for "${name}" (imported, or lost with the vault): rotate it to deliver one`);
    if (ids.get(name) !== token.id) throw new Error(`the stored token of "${name}" is not yet readable as ${ids.get(name) ?? "its credential"}; the next run delivers it`);
    return token;
  }

  async result(): Promise<RunResult> {
    const { state, ports } = this;
    if (state.invalid) return { kind: "invalid", errors: state.invalid, files: state.specFiles ?? 0 };
    const plan = await ports.scratch.loadPlan();
    if (state.mode === "plan" || plan.refusals.length > 0) return { kind: "planned", plan, live: state.listed };
    const all = await ports.scratch.loadOutcomes();
    // Earlier rounds were cut off; what they finished stays reported, what they left was planned again.
    const outcomes = all.filter((r) => r.round === state.round || r.outcome.status === "done").map((r) => r.outcome);
    const current = all.filter((r) => r.round === state.round);
    const settled = new Set(current.map((r) => r.index));
    const notAttempted = applyOrder(plan.changes).filter((i) => !settled.has(i)).map((i) => plan.changes[i] as Change);
    const ok = notAttempted.length === 0 && current.every((r) => r.outcome.status === "done");
    return { kind: "applied", plan, live: state.listed, report: { ok, outcomes, notAttempted } };
  }

  async finish(): Promise<RunOutput> {
    const { state, ports } = this;
    let result: RunResult | null = null;
    let output: RunOutput;
    if (state.skipped !== undefined) {
      output = { status: "skipped", sha: state.sha, summary: null, plan_text: `Nothing to apply: ${state.skipped}.`, outcomes: [], errors: [], api_calls: { ngrok: 0, github: 0 } };
    } else {
      result = await this.result();
      output = describe(result, state.sha, state.deliveries);
    }
    output.progress = progressOf(state);
    if (result) await ports.reporter?.finish?.(state, result, output);
    this.count();
    output.api_calls = { ...state.calls };
    output.progress.max_subrequests = state.max_subrequests;
    return output;
  }
}

export type { Plan };
