// THE run core: advances one run within a budget of calls, persisting after every step, so a stop anywhere resumes cleanly.
import { choosePolicy } from "../desired/policy-choice.js";
import { makePlan } from "../plan/plan.js";
import { loadSpecs } from "../desired/load.js";
import { applyStage } from "./apply-stage.js";
import { CALLS_PER_CHANGE, MAX_IDLE, MAX_PAGES, RunError } from "./errors.js";
import { deliverStage, finishRun } from "./finish.js";
import { targetsStage } from "./targets-stage.js";
import type { RevealedToken, RunPorts } from "./ports.js";
import type { RunState } from "./state.js";
import { allowsDeletes, rotations, type RunOutput } from "./types.js";

export { applyOrder } from "./apply-stage.js";
export { CALLS_PER_CHANGE, MAX_IDLE, MAX_ROUNDS, RunError } from "./errors.js";
export { progressOf } from "./progress.js";

/**
 * Advances the run as far as this invocation's budget allows. Returns the finished run's output, or null when
 * it yielded (its state is saved; call again, in a later invocation, with the same state or the saved one).
 * Throws when the run failed; the state then holds the calls made so far.
 */
export async function advanceRun(state: RunState, ports: RunPorts): Promise<RunOutput | null> {
  state.invocations++;
  const mark = progressMark(state, ports);
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
  state.idle = progressMark(state, ports) === mark ? state.idle + 1 : 0;
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

function progressMark(state: RunState, ports: RunPorts): string {
  return JSON.stringify([state.stage, state.cursor, state.listed, state.pages, state.round, state.applied, state.delivered, state.inFlight, ports.specs.progress?.() ?? 0]);
}

export class Step {
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
          } else if (snapshot.invalid !== undefined) {
            await ports.reporter?.started?.(state);
            state.invalid = snapshot.invalid;
            state.specFiles = 0;
            state.stage = "report";
          } else {
            await ports.reporter?.started?.(state);
            await ports.scratch.saveSources(snapshot.sources);
            // On a pull request the default branch's policy judges, so the PR cannot loosen what reviews it.
            const choice = choosePolicy(snapshot.policy ?? { head: null });
            if (choice.notes.length > 0) state.policyNotes = choice.notes;
            const loaded = loadSpecs(snapshot.sources, {
              ownerId: ports.config.ownerId,
              ...(ports.specs.cache ? { cache: ports.specs.cache } : {}),
              ...(choice.policy ? { policy: { policy: choice.policy, now: state.now, ...(ports.config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: ports.config.defaultRotateAfterMs } : {}) } } : {}),
            });
            const errors = [...choice.errors, ...(loaded.ok ? [] : loaded.errors)];
            if (errors.length === 0) state.stage = "list";
            else {
              state.invalid = errors;
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
            state.pages = 0;
          }
          while (state.cursor !== "end") {
            if (!this.roomFor(1)) return null;
            const page = await ports.ngrok.listPage(state.cursor);
            state.pages = (state.pages ?? 0) + 1;
            if (page.next !== null && (page.next === state.cursor || state.pages >= MAX_PAGES)) throw new RunError("RUN_PAGING_LOOP", `ngrok's listing does not end (${state.pages} pages, next_page_uri ${page.next === state.cursor ? "points at the page just read" : "still set"})`);
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
        case "targets": {
          const done = await targetsStage(this);
          if (!done) return null;
          break;
        }
        case "apply": {
          const done = await applyStage(this);
          if (!done) return null;
          break;
        }
        case "deliver": {
          const done = await deliverStage(this);
          if (!done) return null;
          break;
        }
        case "report":
          return finishRun(this);
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
    let plan = makePlan({
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
      ...(ports.config.expiryWarningMs !== undefined ? { expiryWarningMs: ports.config.expiryWarningMs } : {}),
      ...(state.policyNotes ? { policyNotes: state.policyNotes } : {}),
      now: state.now,
      rotateNow: new Set(rotations(state.request).filter((name) => !rotated.has(name))),
      delivered: ports.deliverer ? await ports.deliverer.records() : [],
    });
    let applying = state.mode === "apply" && plan.refusals.length === 0;
    if (applying && (plan.changes.length > 0 || plan.deliveries.length > 0) && ports.approve) {
      const approved = await ports.approve(plan);
      if (approved === null) {
        state.declined = true;
        state.mode = "plan";
        applying = false;
      } else plan = approved;
    }
    await ports.scratch.savePlan(plan);
    state.total = plan.changes.length;
    state.applied = 0;
    if (applying && plan.changes.length === 0) for (const intent of plan.staleIntents) await ports.intents.close(intent);
    state.stage = applying && plan.changes.length > 0 ? "apply" : applying && plan.deliveries.length > 0 ? "deliver" : "report";
    // The plan says which delivery targets it refuses: each is looked at on GitHub first.
    if (ports.deliverer && plan.deliveries.length > 0) {
      state.afterTargets = state.stage;
      state.targets = [];
      state.stage = "targets";
    }
    await this.persist();
  }

}

