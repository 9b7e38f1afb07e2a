// The Reconciler Durable Object: one per repository, an adapter (queue, alarms, SQLite) that drives the run core.
import { DurableObject } from "cloudflare:workers";
import { problemLine, readConfig, REPORT_RESERVE, type Config, type ConfigProblem, type Vars } from "../config.js";
import { SubrequestBudget } from "../run/budget.js";
import { unitsForCpuMs } from "../run/cpu-units.js";
import { advanceRun, progressOf } from "../run/core.js";
import { errorCode } from "../run/errors.js";
import { runOutput } from "../run/result.js";
import { newRunState, type RunState } from "../run/state.js";
import { effectiveMode, type RunOutput, type RunRequest } from "../run/types.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import { progressNow } from "../ngrok/progress.js";
import { handleCommand, type CommandInput } from "./commands.js";
import { accountLimiter, saveLimiter, workerPorts, workerSettings } from "./ports.js";
import { PersistedDataError } from "./persisted.js";
import { writeRunRecord } from "./run-record.js";
import { ReconcilerStorage } from "./storage.js";
import type { AuditQuery, Caller, StatusInfo } from "./types.js";

export type EnqueueResult = { queued: true; key: string } | { queued: false; reason: "duplicate" } | { queued: false; reason: "config"; problems: ConfigProblem[] } | { queued: false; reason: "not_held"; held: string | null };

/**
 * A webhook's run starts this long after the delivery that queued it (later deliveries keep that time). A burst of
 * deliveries (a merge train, pushes in quick succession) then becomes one run of the newest head, not one run each,
 * and the run's work does not land on the deliveries still arriving. Manual and cron requests start at once.
 */
export const WEBHOOK_SETTLE_MS = 1_000;

/** Keys re-sealed per rewrap job (KV allows 1000 operations per invocation); the job queues itself again until done. */
const REWRAP_BATCH = 300;

export class Reconciler extends DurableObject<Env> {
  readonly #storage: ReconcilerStorage;
  /** The drain in progress. The runtime never overlaps alarms, but a direct call (tests, a future RPC) must not either. */
  #draining: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#storage = new ReconcilerStorage(ctx.storage.sql);
  }

  #config(): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
    return readConfig(this.env as unknown as Vars, { for: "worker" });
  }

  /** Queues a run and returns at once; the alarm does the work. Requests coalesce (see run/coalesce.ts). */
  async enqueue(request: RunRequest): Promise<EnqueueResult> {
    const read = this.#config();
    if (!read.ok) return { queued: false, reason: "config", problems: read.problems };
    if (request.delivery && !this.#storage.webhooks.remember(request.delivery)) return { queued: false, reason: "duplicate" };
    const key = this.#storage.queue.enqueue(request);
    await this.#wake(request.cause === "push" || request.cause === "pull_request" ? WEBHOOK_SETTLE_MS : 0);
    return { queued: true, key };
  }

  /** Releases the held commit (POST /api/reconcile {"release"}): audited with the caller, then applied without the review check. */
  async release(sha: string, actor: string, caller?: Caller): Promise<EnqueueResult> {
    const held = this.#storage.state.get("held");
    const ok = held?.sha === sha;
    this.#storage.audit.append({ run_id: null, kind: "run", cause: "manual", sha, delivery: null, actor, name: null, action: "release", result: ok ? "queued" : "not_held", operation_id: null, detail: { ...(caller ? { caller } : {}), ...(held ? { held: held.sha, pr: held.pr, reasons: held.reasons } : {}) } });
    if (!ok) return { queued: false, reason: "not_held", held: held?.sha ?? null };
    return this.enqueue({ cause: "manual", mode: "apply", actor, release: sha, ...(caller ? { caller } : {}) });
  }

  /** A pull request command (issue_comment): carried out, replied to and audited at once (see commands.ts). */
  async command(input: CommandInput): Promise<EnqueueResult> {
    const read = this.#config();
    if (!read.ok || !this.#storage.webhooks.remember(input.delivery)) return read.ok ? { queued: false, reason: "duplicate" } : { queued: false, reason: "config", problems: read.problems };
    const outcome = await handleCommand(this.env, read.config, this.#storage, input, async (request) => void (await this.enqueue(request)));
    return { queued: true, key: `command:${outcome.result}` };
  }

  /** Whether the last apply found reviews enforced (for /healthz: no secrets, just the mode). */
  async reviewMode(): Promise<string> {
    const reviews = this.#storage.state.get("reviews");
    return reviews?.enforced ? `enforced: ${reviews.approvals ?? 1} approval${reviews.approvals === 1 ? "" : "s"} on the merged pull request, one of them from an owner of each changed credential` : "not enforced: the policy file has no review: section";
  }

  /** Queues a key rewrap: it runs from the alarm between runs, never beside one. */
  async enqueueRewrap(actor: string, caller?: Caller): Promise<EnqueueResult> {
    const key = this.#storage.queue.enqueueRewrap(actor, caller);
    await this.#wake();
    return { queued: true, key };
  }

  /** Makes sure an alarm will drain the queue: `afterMs` from now, or the one already set (a burst keeps the first). */
  async #wake(afterMs = 0): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + afterMs);
  }

  override async alarm(): Promise<void> {
    // A second caller joins the drain in progress: it picks up whatever is queued meanwhile.
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  /**
   * One invocation: one subrequest budget (MAX_SUBREQUESTS). The run in progress resumes from its persisted state
   * (a crash or eviction included: the core persists after every outcome); finished runs leave the queue.
   */
  async #drain(): Promise<void> {
    const read = this.#config();
    // No run starts on a bad configuration: /healthz and /api/status name the problems; the queue waits.
    if (!read.ok) return;
    const config = read.config;
    const storage = this.#storage;
    storage.prune({ auditDays: config.auditRetentionDays, runDays: 90, cacheDays: 30 });
    const budget = new SubrequestBudget(config.maxSubrequests, undefined, unitsForCpuMs(config.maxCpuMs));
    const vault = new TokenVault(new KvTokenStore(this.env.TOKENS), await keyringFor(this.env.TOKEN_ENCRYPTION_KEYS));
    const limiter = accountLimiter(config, storage);
    for (;;) {
      let state = storage.active();
      if (!state) {
        const next = storage.queue.next();
        if (!next) return;
        if (next.job.kind === "rewrap") {
          await this.#rewrap(next.job.actor, vault, next.job.caller);
          storage.queue.remove(next.key, next.job);
          continue;
        }
        const request = next.job.request;
        state = newRunState(storage.runs.start(request), next.key, request, effectiveMode(request, config.driftMode));
        storage.scratch.save(state);
      }
      let finished: RunOutput;
      // Counted before any work: an invocation killed for memory or CPU never writes afterwards, yet must count, or
      // every later alarm would resume the same poisoned run and the queue would never move on. The run core's one
      // stall rule judges the count (see run/stall.ts).
      try {
        // In the try: a counter or cancel row that does not read back interrupts the run instead of failing every alarm.
        const previous = storage.state.get("run_attempts");
        const attempt = Math.max(previous?.run === state.runId ? previous.invocations : 0, state.invocations) + 1;
        storage.state.set("run_attempts", { run: state.runId, invocations: attempt });
        const cancelledBy = this.#cancelledBy(state.runId);
        if (cancelledBy !== null) {
          this.#endRun(state, `cancelled by ${cancelledBy}`);
          continue;
        }
        const output = await advanceRun(state, workerPorts({ env: this.env, config, storage, budget, vault, limiter }), workerSettings(config), { attempt });
        const nextAt = saveLimiter(storage, limiter);
        // A cancel that arrived during this invocation: the run ends here rather than continuing.
        const cancelledDuring = output === null ? this.#cancelledBy(state.runId) : null;
        if (cancelledDuring !== null) {
          this.#endRun(state, `cancelled by ${cancelledDuring}`);
          continue;
        }
        if (output === null) {
          // The continuation waits for the account's window to free, rather than waking only to wait (or burst).
          await this.ctx.storage.setAlarm(Math.max(Date.now() + 10, nextAt));
          return;
        }
        finished = output;
      } catch (error) {
        saveLimiter(storage, limiter);
        // A persisted value that does not read back: the run is interrupted, saying which row and field (see storage.ts).
        if (error instanceof PersistedDataError && storage.interruptFor(error)) continue;
        const output = runOutput(state, { status: "failed", error });
        finished = error instanceof PersistedDataError ? { ...output, status: "interrupted" } : output;
      }
      this.#record(state, finished);
      if (budget.remaining() <= REPORT_RESERVE * 2) {
        if (storage.queue.next()) await this.ctx.storage.setAlarm(Date.now() + 10);
        return;
      }
    }
  }

  /** Re-seals stored tokens under the current key of TOKEN_ENCRYPTION_KEYS; queues itself again while some remain. */
  async #rewrap(actor: string, vault: TokenVault, caller?: Caller): Promise<void> {
    const result = await vault.rotateKeys({ max: REWRAP_BATCH });
    this.#storage.audit.append({ run_id: null, kind: "key_rotation", cause: "manual", sha: null, delivery: null, actor, name: null, action: "rewrap", result: result.failed.length ? "partial" : "done", operation_id: null, detail: { ...result, ...(caller ? { caller } : {}) } });
    if (result.remaining > 0) this.#storage.queue.enqueueRewrap(actor, caller);
  }

  /**
   * Ends the run in progress (POST /api/runs/current/cancel): at once when no invocation of it is under way (a run
   * stuck on a kill included), else as soon as the current invocation returns. Audited with the caller.
   */
  async cancelCurrent(actor: string, caller?: Caller): Promise<{ cancelled: number | null; when: "now" | "after the current invocation" | null }> {
    const state = this.#storage.active();
    const audit = (result: string, runId: number | null) =>
      this.#storage.audit.append({ run_id: runId, kind: "run", cause: "manual", sha: state?.sha ?? null, delivery: null, actor, name: null, action: "cancel", result, operation_id: null, detail: caller ? { caller } : {} });
    if (!state) {
      audit("nothing_running", null);
      return { cancelled: null, when: null };
    }
    if (this.#draining === null) {
      this.#endRun(state, `cancelled by ${actor}`);
      audit("cancelled", state.runId);
      if (this.#storage.queue.next()) await this.#wake();
      return { cancelled: state.runId, when: "now" };
    }
    this.#storage.state.set("cancel_run", { run: state.runId, actor, caller: caller ?? null });
    audit("cancel_requested", state.runId);
    return { cancelled: state.runId, when: "after the current invocation" };
  }

  /** Who asked to cancel run `runId` while an invocation of it was under way, or null. */
  #cancelledBy(runId: number): string | null {
    const cancel = this.#storage.state.get("cancel_run");
    return cancel?.run === runId ? cancel.actor : null;
  }

  /** Records the active run as ended without a result of its own (cancelled). */
  #endRun(state: RunState, reason: string): void {
    this.#record(state, runOutput(state, { status: "cancelled", reason }));
  }

  /**
   * Every run ends here: its record and audit entry, then the queue and the run's scratch are freed. A record that
   * cannot be written (SQLite refused it) ends the run failed with RUN_RECORD_FAILED, recorded and audited without
   * its plan: the queue moves on either way, rather than retry the same write after every alarm.
   */
  #record(state: RunState, finished: RunOutput): void {
    const storage = this.#storage;
    try {
      writeRunRecord(storage, state, finished);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reason = `RUN_RECORD_FAILED: the record of this run (${finished.status}) could not be stored: ${message}; each change it applied has its own audit entry`;
      writeRunRecord(storage, state, runOutput(state, { status: "unrecorded", reason, output: finished }));
    }
    storage.scratch.clear();
    storage.queue.remove(state.key, { kind: "run", request: state.request });
    storage.state.set("run_attempts", null);
    storage.state.set("cancel_run", null);
  }

  async status(): Promise<StatusInfo> {
    const state = this.#storage.active();
    const read = this.#config();
    // The ETA comes from the account's window as the last invocation left it (a replace is two calls; counted as one here).
    const eta = state && state.stage === "apply" && read.ok ? progressNow(state.applied, state.total, accountLimiter(read.config, this.#storage)) : null;
    return {
      progress: state ? { run: state.runId, ...progressOf(state), ...(eta ? { eta: eta.eta, eta_ms: eta.eta_ms } : {}) } : null,
      current: this.#storage.runs.current(),
      last: this.#storage.runs.last(),
      queued: this.#storage.queue.list().map(({ key, job }) =>
        job.kind === "rewrap" ? { key, cause: "rewrap" as const, mode: "rewrap", sha: null } : { key, cause: job.request.cause, mode: job.request.mode, sha: "sha" in job.request ? (job.request.sha ?? null) : null },
      ),
      last_applied: this.#storage.state.get("last_applied"),
      held: this.#storage.state.get("held"),
      reviews: await this.reviewMode(),
      drift: this.#storage.state.get("drift") ?? { detected: false, at: null, changes: 0 },
      config_errors: read.ok ? [] : read.problems.map(problemLine),
    };
  }

  async run(id: number) {
    return this.#storage.runs.get(id);
  }

  async audit(query: AuditQuery) {
    return this.#storage.audit.query(query);
  }

  /** Reveals a stored token; every read, found or not, is audited (without the token). */
  async readToken(name: string, actor: string, caller?: Caller): Promise<{ name: string; id: string; token: string } | null> {
    const vault = new TokenVault(new KvTokenStore(this.env.TOKENS), await keyringFor(this.env.TOKEN_ENCRYPTION_KEYS));
    const audit = (result: string, detail: Record<string, unknown>) =>
      this.#storage.audit.append({ run_id: null, kind: "token_read", cause: "manual", sha: null, delivery: null, actor, name, action: "read_token", result, operation_id: null, detail: caller ? { ...detail, caller } : detail });
    try {
      const token = await vault.read(name);
      // KV is eventually consistent: an entry that is not the credential the ledger names is not handed out.
      const id = this.#storage.tokens.seeded() ? this.#storage.tokens.ids().get(name) : token?.id;
      if (token && id !== token.id) {
        audit("stale", { id: token.id, ledger: id ?? null });
        return null;
      }
      audit(token ? "revealed" : "not_found", token ? { id: token.id } : {});
      return token;
    } catch (error) {
      audit("failed", { code: errorCode(error) ?? "INTERNAL" });
      throw error;
    }
  }
}
