// The Reconciler Durable Object: one per repository, so runs never overlap; requests queue, coalesce and run from the alarm.
import { DurableObject } from "cloudflare:workers";
import { parseConfig } from "../config.js";
import { keyringFor, KvTokenStore, TokenVault } from "../vault/index.js";
import { executeRun } from "./execute.js";
import { ReconcilerStorage } from "./storage.js";
import type { AuditQuery, RunRequest, StatusInfo } from "./types.js";

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

  async #drain(): Promise<void> {
    const started = Date.now();
    for (let next = this.#storage.nextQueued(); next; next = this.#storage.nextQueued()) {
      const { key, request } = next;
      const runId = this.#storage.startRun(request);
      try {
        const config = parseConfig(this.env);
        const output = await executeRun(request, { env: this.env, config, storage: this.#storage, runId });
        this.#storage.finishRun(runId, output);
        // The full plan is kept here: PR comments and check runs are cut to GitHub's size limits.
        this.#audit(runId, request, output.sha, output.status, { summary: output.summary, errors: output.errors, api_calls: output.api_calls, plan_text: output.plan_text });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const code = (error as { code?: unknown }).code;
        this.#storage.finishRun(runId, { status: "failed", errors: [typeof code === "string" ? `${code}: ${message}` : message] });
        this.#audit(runId, request, request.sha ?? null, "failed", { error: message });
      }
      this.#storage.dequeue(key, request);
      // Keep an invocation bounded; what is left runs from the next alarm.
      if (Date.now() - started > 60_000) {
        await this.ctx.storage.setAlarm(Date.now() + 1000);
        return;
      }
    }
  }

  async status(): Promise<StatusInfo> {
    const applied = this.#storage.getState("last_applied");
    const drift = this.#storage.getState("drift");
    return {
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

  /** Reveals a stored token; every read, found or not, is audited (without the token). */
  async readToken(name: string, actor: string): Promise<{ name: string; id: string; token: string } | null> {
    const vault = new TokenVault(new KvTokenStore(this.env.TOKENS), await keyringFor(this.env.TOKEN_ENCRYPTION_KEYS));
    try {
      const token = await vault.read(name);
      this.#storage.audit({ run_id: null, kind: "token_read", cause: "manual", sha: null, delivery: null, actor, name, action: "read_token", result: token ? "revealed" : "not_found", operation_id: null, detail: token ? { id: token.id } : {} });
      return token;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.#storage.audit({ run_id: null, kind: "token_read", cause: "manual", sha: null, delivery: null, actor, name, action: "read_token", result: "failed", operation_id: null, detail: { code: typeof code === "string" ? code : "INTERNAL" } });
      throw error;
    }
  }

  #audit(runId: number, request: RunRequest, sha: string | null, result: string, detail: Record<string, unknown>): void {
    this.#storage.audit({ run_id: runId, kind: "run", cause: request.cause, sha, delivery: request.delivery ?? null, actor: request.actor ?? null, name: null, action: request.mode, result, operation_id: null, detail });
  }
}
