// The run core's ports inside the Durable Object: GitHub as spec source, ngrok, KV tokens indexed in SQLite, SQLite scratch.
import type { Config } from "../config.js";
import type { PolicySources } from "../desired/repo-policy-choice.js";
import { githubTokenSource } from "../github/auth.js";
import { GitHubApiError, GitHubClient, repoPath } from "../github/client.js";
import { deleteActionsSecret, getActionsSecret, writeActionsSecret, type ActionsSecretTarget, type PublicKeyCache } from "../github/secrets.js";
import { pullJudge } from "../github/pulls.js";
import { readPolicyAt, readSpecsAt, SpecLimitError, type BlobCache } from "../github/specs.js";
import { NgrokClient, type NgrokCall } from "../ngrok/client.js";
import { ResourceClient } from "../ngrok/resources.js";
import { AccountLimiter } from "../ngrok/limiter.js";
import { MAX_CONNECTIONS } from "../ngrok/semaphore.js";
import type { Delivery } from "../plan/types.js";
import { BudgetExhaustedError, type SubrequestBudget } from "../run/budget.js";
import { maxParseBytes, unitsForCpuMs } from "../run/cpu-units.js";
import type { Deliverer, RunPorts, RunSettings, SpecPort, TokenPort } from "../run/ports.js";
import type { TokenVault } from "../vault/index.js";
import { GitHubReporter } from "../github/reporter.js";
import { reviewGate } from "./review-gate.js";
import type { ReconcilerStorage } from "./storage.js";

export { REPORT_RESERVE } from "../config.js";
import { REPORT_RESERVE } from "../config.js";

export interface WorkerPortsInput {
  env: Env;
  config: Config;
  storage: ReconcilerStorage;
  budget: SubrequestBudget;
  vault: TokenVault;
  /** The account's pacing, shared by every call of the invocation (restored from the last one). */
  limiter: AccountLimiter;
}

/**
 * The account's pacing as the last invocation left it: a continuation (or the next run) starts where the window
 * stands instead of bursting into 429s. Saved by saveLimiter after each invocation.
 */
export function accountLimiter(config: Config, storage: ReconcilerStorage): AccountLimiter {
  const limiter = new AccountLimiter({ rate: config.ngrokRateLimit, maxConcurrent: MAX_CONNECTIONS });
  const saved = storage.state.get("ngrok_limiter");
  if (saved) limiter.restore(saved);
  return limiter;
}

/** Keeps the window for the next invocation; returns when the next call may go (ms since the epoch). */
export function saveLimiter(storage: ReconcilerStorage, limiter: AccountLimiter): number {
  const snapshot = limiter.snapshot();
  storage.state.set("ngrok_limiter", snapshot);
  return snapshot.nextAt;
}

/** The run's settings in the Worker: the deployment's configuration, REPORT_RESERVE kept back for reporting. */
export function workerSettings(config: Config): RunSettings {
  return { config, reserve: REPORT_RESERVE, maxParseBytes: maxParseBytes(unitsForCpuMs(config.maxCpuMs)) };
}

/** The ports of one invocation: every fetch goes through this invocation's budget and is counted by service. */
export function workerPorts({ env, config, storage, budget, vault, limiter }: WorkerPortsInput): RunPorts & { github: GitHubClient } {
  const calls = { ngrok: 0, github: 0 };
  const counted = (service: keyof typeof calls) => (request: Request) => {
    // Counted only when sent: a fetch the budget refuses is no call.
    if (budget.remaining() > 0) calls[service]++;
    return budget.fetch(request);
  };
  const githubFetch = counted("github");
  const github = new GitHubClient({ baseUrl: config.githubApiUrl, token: githubTokenSource(env, config.githubApiUrl, config.repository, githubFetch), fetch: githubFetch });
  // Every write's answer (status and ngrok's operation id) goes into the audit entry of the change it served.
  const writes = new Map<string, NgrokCall[]>();
  const onResponse = (call: NgrokCall) => {
    if (call.method === "GET" || call.credential_id === null) return;
    writes.set(call.credential_id, [...(writes.get(call.credential_id) ?? []), call]);
  };
  const ngrok = new NgrokClient({ baseUrl: config.ngrokApiUrl, apiKey: env.NGROK_API_KEY, fetch: counted("ngrok"), onResponse, limiter });
  return {
    github,
    specs: githubSpecs(github, config.repository, storage),
    ngrok,
    resources: new ResourceClient(ngrok),
    kindsApplied: { read: async () => storage.state.get("kinds_applied") ?? [], write: async (lists) => storage.state.set("kinds_applied", [...lists]) },
    tokens: indexedTokens(vault, storage),
    intents: storage.intents,
    scratch: storage.scratch,
    reporter: new GitHubReporter({ github, storage, config, writes, checkKind: env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY ? "check-run" : "status", budget }),
    deliverer: githubDeliverer(github, storage),
    reviews: reviewGate(github, config.repository, storage, budget, config.ownerId),
    budget,
    takeCalls: () => {
      const taken = { ...calls };
      calls.ngrok = 0;
      calls.github = 0;
      return taken;
    },
  };
}

/** A release that names a commit which is not the held one. */
export class ReleaseError extends Error {
  readonly code = "RUN_NOT_HELD";
}

/** Specs at the commit the run is for: a push, cron or manual apply reads the default branch's head. */
function githubSpecs(github: GitHubClient, repository: string, storage: ReconcilerStorage): SpecPort {
  const cache = storage.caches.blobs();
  // Each blob downloaded and cached is a unit of work persisted: a tree too big for one invocation's budget is
  // read over several, and each of them makes progress.
  let downloaded = 0;
  const blobs: BlobCache = {
    get: (sha) => cache.get(sha),
    put: async (sha, content) => {
      await cache.put(sha, content);
      downloaded++;
    },
  };
  return {
    cache: storage.caches.specs(),
    progress: () => downloaded,
    async read(state) {
      const request = state.request;
      let sha = "sha" in request ? (request.sha ?? null) : null;
      let branch: string | null = null;
      const held = storage.state.get("held");
      const applied = storage.state.get("last_applied");
      // A held commit is not applied by cron or a plain reconcile: they keep the account at the last applied reviewed state.
      const keepApplied = held !== null && applied !== null && (request.cause === "cron" || (request.cause === "manual" && request.mode === "apply" && !request.sha && !request.release));
      if (request.cause === "manual" && request.release) {
        // Only the commit that is held can be released (a later push superseded it, or it was never held).
        if (held?.sha !== request.release) throw new ReleaseError(`${request.release.slice(0, 7)} is not the held commit${held ? ` (${held.sha.slice(0, 7)} is)` : " (none is held)"}: nothing was released`);
        sha = request.release;
      } else if (keepApplied) sha = applied.sha;
      else if (request.mode === "apply" || !sha) {
        const repo = repoPath(repository);
        branch = (await github.request<{ default_branch: string }>("GET", repo)).default_branch;
        sha = (await github.request<{ commit: { sha: string } }>("GET", `${repo}/branches/${encodeURIComponent(branch)}`)).commit.sha;
      }
      if (!sha) throw new ReleaseError("internal: no commit to read");
      let snapshot: Awaited<ReturnType<typeof readSpecsAt>>;
      try {
        snapshot = await readSpecsAt(github, repository, sha, blobs);
      } catch (error) {
        // Refused from the tree listing (too many files, a file or the tree too large): nothing was downloaded.
        if (error instanceof SpecLimitError) return { sha, tree: null, sources: [], invalid: error.toSpecErrors() };
        throw error;
      }
      if (request.cause === "push" && applied && applied.tree === snapshot.treeSha) {
        // The head holds what was last applied again: whatever was held is superseded.
        if (held && request.sha === sha) storage.state.set("held", null);
        const skipped = request.sha !== sha ? `${request.sha.slice(0, 7)} is not the head of ${branch ?? "the default branch"} (${sha.slice(0, 7)})` : `credentials/ is unchanged since ${applied.sha.slice(0, 7)}`;
        return { sha, tree: snapshot.treeSha, sources: [], skipped };
      }
      if (request.cause !== "pull_request") {
        // Reviewed settings are compared with what was last applied (the same tree: nothing to read).
        const baseline = applied ? { ref: applied.tree === snapshot.treeSha ? sha : applied.sha, label: `the last apply (${applied.sha.slice(0, 7)})` } : null;
        return { sha, tree: snapshot.treeSha, sources: snapshot.sources, policy: { head: snapshot.policy }, baseline };
      }
      // A pull request is judged by the default branch's policy (whatever its base), so it cannot loosen the policy that
      // reviews it; its reviewed settings are compared with the same commit's specs (what it merges into and is applied from).
      const judge = await pullJudge(github, repository, request.pr);
      const policy: PolicySources = { head: snapshot.policy, base: await readPolicyAt(github, repository, judge.sha, blobs), ...(judge.offDefault ? { offDefault: judge.offDefault } : {}) };
      return { sha, tree: snapshot.treeSha, sources: snapshot.sources, policy, baseline: { ref: judge.sha, label: `the default branch (${judge.sha.slice(0, 7)})` } };
    },
    async previous(baseline) {
      if (baseline.ref === null) return null;
      try {
        return (await readSpecsAt(github, repository, baseline.ref, blobs)).sources;
      } catch (error) {
        // Refused from the listing (over the spec limits), or the commit is gone (history rewritten, repository
        // recreated): not compared, and the plan says so. Anything else fails the run, which is retried.
        if (error instanceof SpecLimitError || (error instanceof GitHubApiError && (error.status === 404 || error.status === 422))) return null;
        throw error;
      }
    },
  };
}

/**
 * Tokens sealed in KV, indexed in SQLite: the index says which credential each name's token belongs to, so no
 * decision waits on KV's listing (eventually consistent, ~60 s across locations).
 */
export function indexedTokens(vault: TokenVault, storage: ReconcilerStorage): TokenPort {
  const index = storage.tokens;
  return {
    async store(name, id, token) {
      await vault.store(name, id, token);
      index.set(name, id);
    },
    async remove(name) {
      index.remove(name);
      await vault.remove(name);
    },
    async ids() {
      if (!index.seeded()) index.seed(await vault.ids());
      return index.ids();
    },
    async idsOf(names) {
      if (!index.seeded()) index.seed(await vault.ids());
      return index.idsOf(names);
    },
    read: (name) => vault.read(name),
  };
}

function githubDeliverer(github: GitHubClient, storage: ReconcilerStorage): Deliverer {
  const keys: PublicKeyCache = new Map();
  return {
    records: () => storage.delivered.list(),
    async inspect(delivery) {
      const found = await getActionsSecret(github, targetOf(delivery));
      return found ? { exists: true, updated_at: found.updated_at } : { exists: false };
    },
    async deliver(delivery, token) {
      let at: string | null;
      try {
        // GitHub's clock at our write: an updated_at later than it is someone else's write.
        at = (await writeActionsSecret(github, targetOf(delivery), token.token, keys)).at;
      } catch (error) {
        // The write may have landed with its answer lost (a 5xx, a reset): the secret may now be ours, holding a token
        // we cannot name. Recorded as such (id ""), so the next run delivers again instead of calling it foreign.
        if (mayHaveLanded(error)) storage.delivered.record({ key: delivery.target.key, name: delivery.name, id: "", written_at: null });
        throw error;
      }
      storage.delivered.record({ key: delivery.target.key, name: delivery.name, id: token.id, written_at: at });
    },
    async undeliver(delivery) {
      await deleteActionsSecret(github, targetOf(delivery));
      storage.delivered.forget(delivery.target.key, delivery.name);
    },
    forget: (delivery) => storage.delivered.forget(delivery.target.key, delivery.name),
  };
}

/** Whether a failed write may still have changed the secret: anything but GitHub's 4xx refusal or a call never sent. */
function mayHaveLanded(error: unknown): boolean {
  if (error instanceof GitHubApiError) return error.status >= 500;
  return !(error instanceof BudgetExhaustedError);
}

function targetOf(delivery: Delivery): ActionsSecretTarget {
  const t = delivery.target;
  return t.kind === "org" ? { org: t.org, name: t.secret, visibility: t.visibility } : { repo: t.repo, name: t.secret, ...(t.environment ? { environment: t.environment } : {}) };
}
