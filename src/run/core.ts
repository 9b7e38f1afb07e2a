// THE run core: advances one run within a budget of calls, persisting after every step, so a stop anywhere resumes cleanly.
import { choosePolicy } from "../desired/policy-choice.js";
import { makePlan } from "../plan/plan.js";
import { fileCacheKey, loadSpecs } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { assembleUnits, LIST_UNITS_PER_CREDENTIAL, parseUnits } from "./cpu-units.js";
import { MAX_PAGE_LIMIT } from "../ngrok/types.js";
import { diffInSlices, endDiff } from "./diff-slices.js";
import { applyStage } from "./apply-stage.js";
import { CALLS_PER_CHANGE, MAX_INVOCATIONS, MAX_PAGES, RunError } from "./errors.js";
import { deliverStage, finishRun } from "./finish.js";
import { targetsStage } from "./targets-stage.js";
import type { RevealedToken, RunPorts } from "./ports.js";
import type { RunState } from "./state.js";
import { beginInvocation, endInvocation, invocationCap, progressMark } from "./stall.js";
import { allowsDeletes, type RunOutput } from "./types.js";
import { previousSpecs } from "./previous.js";

export { applyOrder } from "./apply-stage.js";
export { CALLS_PER_CHANGE, MAX_IDLE, MAX_INVOCATIONS, MAX_ROUNDS, RunError } from "./errors.js";
export { progressOf } from "./progress.js";

/** How a driver counts a run's invocations (see stall.ts). */
export interface InvocationCount {
  /**
   * This invocation's number, counted and persisted by the driver before any work (an invocation killed for memory
   * or CPU never writes afterwards, yet counts). Default: one more than the state knows.
   */
  attempt?: number;
  /** Invocations one run may take in all (default MAX_INVOCATIONS). */
  maxInvocations?: number;
}

/**
 * Advances the run as far as this invocation's budget allows. Returns the finished run's output, or null when
 * it yielded (its state is saved; call again, in a later invocation, with the same state or the saved one).
 * Throws when the run failed; the state then holds the calls made so far.
 */
export async function advanceRun(state: RunState, ports: RunPorts, count: InvocationCount = {}): Promise<RunOutput | null> {
  const run = new Step(state, ports);
  // The cap grows with the run's known work (a first apply of 10,000 needs hundreds of invocations of 50 calls).
  const refused = beginInvocation(state, count.attempt ?? state.invocations + 1, invocationCap(state, count.maxInvocations ?? MAX_INVOCATIONS, ports.budget, ports.reserve));
  if (refused) return run.fail(refused);
  try {
    const output = await run.step();
    if (output) return output;
  } catch (error) {
    // A call refused for want of budget outside the apply stage: nothing half done, the next invocation redoes it.
    if (!(ports.budget.refused && state.stage !== "apply")) return run.fail(error);
  }
  const stalled = endInvocation(state, run.progressed());
  if (stalled) return run.fail(stalled);
  await run.persist();
  return null;
}

/** Drives a run to its end: one call of advanceRun per invocation, with the ports (and budget) of each. */
export async function driveRun(state: RunState, portsFor: () => RunPorts, maxInvocations = 10_000): Promise<RunOutput> {
  for (;;) {
    const output = await advanceRun(state, portsFor(), { maxInvocations });
    if (output) return output;
  }
}

export class Step {
  /** Tokens minted in this invocation, handed to delivery in memory (never read back from an eventually consistent store). */
  readonly minted = new Map<string, RevealedToken>();
  /** Where the run stood when this invocation began. */
  readonly #start: string;

  constructor(
    readonly state: RunState,
    readonly ports: RunPorts,
  ) {
    this.#start = progressMark(state, ports);
  }

  /** Whether this invocation has done a unit of work so far. */
  progressed(): boolean {
    return progressMark(this.state, this.ports) !== this.#start;
  }

  /** Ends the run with `error`: its calls counted, its check completed as failed, then the error thrown. */
  async fail(error: unknown): Promise<never> {
    this.count();
    await this.ports.reporter?.failed?.(this.state, error);
    throw error;
  }

  count(): void {
    const calls = this.ports.takeCalls();
    this.state.calls = { ngrok: this.state.calls.ngrok + calls.ngrok, github: this.state.calls.github + calls.github };
    this.state.max_subrequests = Math.max(this.state.max_subrequests, Number.isFinite(this.ports.budget.used) ? this.ports.budget.used : 0);
    // Units are counted once per invocation however often it persists: the budget holds this invocation's total.
    const { unitsUsed } = this.ports.budget;
    this.state.work_units = (this.state.work_units ?? 0) + unitsUsed - this.countedUnits;
    this.countedUnits = unitsUsed;
    this.state.max_work_units = Math.max(this.state.max_work_units ?? 0, unitsUsed);
  }

  private countedUnits = 0;

  /**
   * Parses, one file per piece of work, the files the parse cache does not hold, while the invocation's work
   * units last; each parsed file is persisted in the cache. False when some are left for the next invocation.
   * Without a cache there is nowhere to keep a parsed file: everything is parsed at once (the CLI, the bench).
   */
  parseWithin(sources: readonly SpecSource[]): boolean {
    const { cache } = this.ports.specs;
    if (!cache) return true;
    const { ownerId } = this.ports.config;
    for (const source of sources) {
      const key = fileCacheKey(source, ownerId);
      // Only whether it is there: reading a cached file back costs about what parsing it would.
      if (cache.has ? cache.has(key) : cache.get(key)) continue;
      const units = parseUnits(source.content.length);
      if (!this.ports.budget.affords(units)) return false;
      this.ports.budget.spend(units);
      loadSpecs([source], { ownerId, cache });
      this.state.parsed = (this.state.parsed ?? 0) + 1;
    }
    return true;
  }

  async persist(): Promise<void> {
    // Progress resets the stall count as soon as it is persisted: an invocation killed after it still made some.
    if (this.progressed()) this.state.idle = 0;
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
            // Parsing is CPU-bound: file by file within the invocation's units; the cache keeps what is done.
            // Then every file's specs are put together and checked across files: one piece, its units by the bytes.
            if (!this.parseWithin(snapshot.sources) || !this.ports.budget.affords(assembleUnits(snapshot.sources))) {
              await this.persist();
              return null;
            }
            ports.budget.spend(assembleUnits(snapshot.sources));
            await ports.reporter?.started?.(state);
            await ports.scratch.saveSources(snapshot.sources);
            // On a pull request the default branch's policy judges, so the PR cannot loosen what reviews it.
            const choice = choosePolicy(snapshot.policy ?? { head: null });
            if (choice.notes.length > 0) state.policyNotes = choice.notes;
            if (snapshot.baseline !== undefined) state.baseline = snapshot.baseline;
            if (choice.policy?.review) state.approvals = choice.policy.review.approvals;
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
            if (!this.roomFor(1) || !ports.budget.affords(MAX_PAGE_LIMIT * LIST_UNITS_PER_CREDENTIAL)) return null;
            const page = await ports.ngrok.listPage(state.cursor);
            ports.budget.spend(page.credentials.length * LIST_UNITS_PER_CREDENTIAL);
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
          if (!(await this.plan())) return null;
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

  /** False when it yielded for want of budget (the next invocation plans again). */
  async plan(): Promise<boolean> {
    const { state, ports } = this;
    // The diff goes a slice of the live list at a time, within the invocation's work units (diff-slices.ts).
    const diffed = await diffInSlices(state, ports);
    if (!diffed) return false;
    const { sources, loaded, context } = diffed;
    const previous = await previousSpecs(state, ports, sources);
    // A pull request's plan says who must approve it (under review enforcement), so reviewers know before the merge.
    let reviewNotes: string[] = [];
    if (state.request.cause === "pull_request" && ports.reviews?.notes) {
      const cost = Math.min(ports.reviews.cost(state), ports.budget.limit - ports.reserve);
      if (cost > 0) {
        if (!this.roomFor(cost)) return false;
        reviewNotes = await ports.reviews.notes(state, loaded.specs);
      }
    }
    const notes = [...(state.policyNotes ?? []), ...reviewNotes];
    // A merge whose pull request's head got `/ngrok-gitops allow-deletes` may delete past MAX_DELETES.
    let allowDeletes = allowsDeletes(state.request, state.sha);
    if (!allowDeletes && state.request.cause === "push" && ports.reviews?.deleteApproval) {
      const cost = ports.reviews.deleteApprovalCost?.(state) ?? 1;
      if (cost > 0 && !this.roomFor(cost)) return false;
      const approval = await ports.reviews.deleteApproval(state);
      if (approval) (allowDeletes = true), notes.push(approval);
    }
    let plan = makePlan({
      ownerId: ports.config.ownerId,
      specs: loaded.specs,
      live: diffed.live,
      diffed: diffed.planned,
      stored: context.stored,
      intents: context.intents,
      specFiles: loaded.files,
      maxDeletes: ports.config.maxDeletes,
      allowDeletes,
      ...(ports.config.rotationGraceMs !== undefined ? { rotationGraceMs: ports.config.rotationGraceMs } : {}),
      ...(ports.config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: ports.config.defaultRotateAfterMs } : {}),
      ...(ports.config.expiryWarningMs !== undefined ? { expiryWarningMs: ports.config.expiryWarningMs } : {}),
      ...(notes.length > 0 ? { policyNotes: notes } : {}),
      now: state.now,
      rotateNow: context.rotateNow ?? new Set(),
      ...(previous ? { previous } : {}),
    });
    let applying = state.mode === "apply" && plan.refusals.length === 0;
    // Under review enforcement nothing of an unreviewed commit is applied: the run ends held.
    if (applying && ports.reviews) {
      // A deployment with a small MAX_SUBREQUESTS still checks (most checks need fewer calls than the most they can take).
      const cost = Math.min(ports.reviews.cost(state), ports.budget.limit - ports.reserve);
      if (cost > 0 && !this.roomFor(cost)) return false;
      const review = await ports.reviews.check(state, plan, loaded.specs);
      if (review) state.review = review;
      if (review?.verdict === "held") {
        state.mode = "plan";
        applying = false;
      }
    }
    if (applying && (plan.changes.length > 0 || plan.deliveries.length > 0) && ports.approve) {
      const approved = await ports.approve(plan);
      if (approved === null) {
        state.declined = true;
        state.mode = "plan";
        applying = false;
      } else plan = approved;
    }
    await ports.scratch.savePlan(plan);
    endDiff(state, ports);
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
    return true;
  }

}

