// The Reconciler Durable Object: one per repository, so runs never overlap; requests queue, coalesce and run from the alarm.
import { DurableObject } from "cloudflare:workers";
import { parseConfig } from "../config.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import { SubrequestBudget } from "./budget.js";
import { advanceRun, newActiveRun, REPORT_RESERVE, type RunOutput } from "./execute.js";
import { ReconcilerStorage } from "./storage.js";
import type { AuditQuery, Caller, RunRequest, StatusInfo } from "./types.js";

export type EnqueueResult = { queued: true; key: string } | { queued: false; reason: "duplicate" };

export class Reconciler extends DurableObject<Env> {
  readonly #storage: ReconcilerStorage;
  /** The drain in progress. The runtime never overlaps alarms, but a direct call (tests, a future RPC) must not either. */
  #draining: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#storage = new ReconcilerStorage(ctx.storage.sql);
  }

  /**
   * Queues a run and returns at once; the alarm does the work. Requests coalesce: one pending apply of the
   * default branch (it always applies the newest head), one pending plan per pull request.
   */
  async enqueue(request: RunRequest): Promise<EnqueueResult> {
    if (request.delivery && !this.#storage.rememberDelivery(request.delivery)) return { queued: false, reason: "duplicate" };
    const key = request.mode === "apply" ? "apply" : request.pr !== undefined ? `pr:${request.pr}` : "plan";
    this.#storage.enqueue(key, request);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return { queued: true, key };
  }

  /**
   * Runs queued requests one at a time. A request leaves the queue only after its run is recorded, so a run
   * cut off half-way (eviction, crash) stays queued and the alarm's automatic retry runs it again; reconcile
   * is idempotent, so that is a clean retry.
   */
  override async alarm(): Promise<void> {
    // A second caller joins the drain in progress: it picks up whatever is queued meanwhile.
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
    return this.#draining;
  }

  /**
   * One invocation: one subrequest budget (MAX_SUBREQUESTS). The active run resumes where the last invocation
   * left it; a run that needs more yields and continues from the next alarm. Finished runs leave the queue.
   */
  async #drain(): Promise<void> {
    const config = parseConfig(this.env);
    const budget = new SubrequestBudget(config.maxSubrequests);
    for (;;) {
      let active = this.#storage.loadActive();
      if (!active) {
        const next = this.#storage.nextQueued();
        if (!next) return;
        active = newActiveRun(this.#storage.startRun(next.request), next.key, next.request, config);
        this.#storage.saveActive(active);
      }
      const { runId, key, request } = active;
      let finished: RunOutput;
      try {
        const output = await advanceRun(active, { env: this.env, config, storage: this.#storage, budget });
        if (output === null) {
          await this.ctx.storage.setAlarm(Date.now() + 10);
          return;
        }
        finished = output;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const code = (error as { code?: unknown }).code;
        finished = { status: "failed", sha: active.sha ?? request.sha ?? null, summary: null, plan_text: "", outcomes: [], errors: [typeof code === "string" ? `${code}: ${message}` : message], api_calls: active.calls };
      }
      this.#storage.finishRun(runId, finished);
      // The full plan is kept here: PR comments and check runs are cut to GitHub's size limits.
      this.#audit(runId, request, finished.sha, finished.status, { summary: finished.summary, errors: finished.errors, api_calls: finished.api_calls, plan_text: finished.plan_text, progress: finished.progress ?? null, reviewed: finished.reviewed ?? null });
      this.#storage.clearActive();
      this.#storage.dequeue(key, request);
      if (budget.remaining() <= REPORT_RESERVE * 2) {
        if (this.#storage.nextQueued()) await this.ctx.storage.setAlarm(Date.now() + 10);
        return;
      }
    }
  }

  async status(): Promise<StatusInfo> {
    const applied = this.#storage.getState("last_applied");
    const drift = this.#storage.getState("drift");
    const active = this.#storage.loadActive();
    return {
      progress: active ? { run: active.runId, stage: active.stage, listed: active.listed, changes: active.total, applied: active.applied, invocations: active.invocations, max_subrequests: active.max_subrequests } : null,
      current: this.#storage.currentRun(),
      last: this.#storage.lastRun(),
      queued: this.#storage.queued().map(({ key, request }) => ({ key, cause: request.cause, mode: request.mode, sha: request.sha ?? null })),
      last_applied: applied ? (JSON.parse(applied) as StatusInfo["last_applied"]) : null,
      drift: drift ? (JSON.parse(drift) as StatusInfo["drift"]) : { detected: false, at: null, changes: 0 },
    };
  }

  async run(id: number) {
    return this.#storage.run(id);
  }

  async audit(query: AuditQuery) {
    return this.#storage.queryAudit(query);
  }

  /**
   * Re-seals stored tokens under the current (first) key of TOKEN_ENCRYPTION_KEYS, so an old key can be retired
   * once `remaining` is 0 and nothing failed. Bounded per call (KV allows 1000 operations per invocation);
   * inside the Durable Object, so it never races a run storing a token.
   */
  async rewrapTokens(actor: string, caller?: Caller): Promise<{ rewrapped: number; remaining: number; failed: { name: string; code: string }[] }> {
    const vault = new TokenVault(new KvTokenStore(this.env.TOKENS), await keyringFor(this.env.TOKEN_ENCRYPTION_KEYS));
    const result = await this.ctx.blockConcurrencyWhile(() => vault.rotateKeys({ max: 300 }));
    this.#storage.audit({ run_id: null, kind: "key_rotation", cause: "manual", sha: null, delivery: null, actor, name: null, action: "rewrap", result: result.failed.length ? "partial" : "done", operation_id: null, detail: { ...result, ...(caller ? { caller } : {}) } });
    return result;
  }

  /** Reveals a stored token; every read, found or not, is audited (without the token). */
  async readToken(name: string, actor: string, caller?: Caller): Promise<{ name: string; id: string; token: string } | null> {
    const vault = new TokenVault(new KvTokenStore(this.env.TOKENS), await keyringFor(this.env.TOKEN_ENCRYPTION_KEYS));
    try {
      const token = await vault.read(name);
      this.#storage.audit({ run_id: null, kind: "token_read", cause: "manual", sha: null, delivery: null, actor, name, action: "read_token", result: token ? "revealed" : "not_found", operation_id: null, detail: { ...(token ? { id: token.id } : {}), ...(caller ? { caller } : {}) } });
      return token;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.#storage.audit({ run_id: null, kind: "token_read", cause: "manual", sha: null, delivery: null, actor, name, action: "read_token", result: "failed", operation_id: null, detail: { code: typeof code === "string" ? code : "INTERNAL", ...(caller ? { caller } : {}) } });
      throw error;
    }
  }

  #audit(runId: number, request: RunRequest, sha: string | null, result: string, detail: Record<string, unknown>): void {
    this.#storage.audit({ run_id: runId, kind: "run", cause: request.cause, sha, delivery: request.delivery ?? null, actor: request.actor ?? null, name: null, action: request.mode, result, operation_id: null, detail: request.caller ? { ...detail, caller: request.caller } : detail });
  }
}
