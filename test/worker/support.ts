// Helpers for workerd tests: talk to the emulator and the fake GitHub over loopback HTTP, send signed webhooks, wait for runs.
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { inject } from "vitest";
import { buildPullRequestEvent, buildPushEvent, signWebhook } from "../../standins/github/webhooks.js";
import type { StatusInfo } from "../../src/reconciler/types.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";

export const bindings = env as unknown as Env & { NGROK_API_URL: string; GITHUB_API_URL: string };
export const reconciler = () => bindings.RECONCILER.getByName(TEST_REPOSITORY);

export async function emulator(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${bindings.NGROK_API_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TEST_SECRETS.NGROK_API_KEY}`, "Ngrok-Version": "2", "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

export interface LiveCredential {
  id: string;
  description?: string;
  metadata?: string;
  acl: string[];
}

export const liveCredentials = async () => ((await emulator("GET", "/__emulator/state")) as { credentials: LiveCredential[] }).credentials;
export const emulatorTokens = async () => ((await emulator("GET", "/__emulator/tokens")) as { tokens: Record<string, string> }).tokens;
export const emulatorCalls = async () => ((await emulator("GET", "/__emulator/calls")) as { calls: { method: string; path: string; status: number | null }[] }).calls;

export async function github<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${bindings.GITHUB_API_URL}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`fake GitHub ${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

export interface CommitResult {
  sha: string;
  before: string;
}

export const commit = (branch: string, files: Record<string, string | null>) =>
  github<CommitResult>("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch, files });

const userTokens = new Map<string, string>();
/** A token of the stand-in's user `login` (one per user, made on first use): what they review or comment with. */
export async function userToken(login: string): Promise<string> {
  const known = userTokens.get(login);
  if (known) return known;
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { login });
  userTokens.set(login, token);
  return token;
}

/** Opens a pull request by `author` from `branch` holding `files`; returns it with its head. */
export async function openPullRequest(author: string, branch: string, files: Record<string, string | null>): Promise<{ number: number; branch: string; head: string }> {
  const head = (await commit(branch, files)).sha;
  // The stand-in numbers it (pull requests and issues share GitHub's numbers).
  const { number } = await github<{ number: number }>("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { head_ref: branch, head_sha: head, base_ref: "main", user: author });
  return { number, branch, head };
}

/** Merges it as GitHub does: a commit on main holding `files`, recorded as the pull request's merge commit. Returns that commit. */
export async function mergePullRequest(pr: { number: number; branch: string }, files: Record<string, string | null>): Promise<string> {
  const merged = (await commit("main", files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr.number, head_ref: pr.branch, state: "closed", merged: true, merge_commit_sha: merged });
  return merged;
}

export interface RepoView {
  comments: { id: number; body: string; issue_number: number }[];
  check_runs: { id: number; name: string; head_sha: string; status: string; conclusion: string | null; output: { title: string | null; summary: string | null }; annotations: { path: string; start_line: number; message: string }[] }[];
  statuses: { sha: string; state: string; context: string }[];
}
export const repoView = () => github<RepoView>("GET", `/__fake/repos/${TEST_REPOSITORY}`);

let deliveries = 0;
export async function deliver(event: string, payload: unknown, options: { secret?: string; delivery?: string } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-GitHub-Event": event,
    "X-GitHub-Delivery": options.delivery ?? `delivery-${Date.now()}-${++deliveries}`,
  };
  if (options.secret !== "") headers["X-Hub-Signature-256"] = await signWebhook(options.secret ?? TEST_SECRETS.GITHUB_WEBHOOK_SECRET, body);
  return SELF.fetch("http://worker/webhooks/github", { method: "POST", headers, body });
}

export const pushPayload = (after: string, before: string, ref = "refs/heads/main") =>
  buildPushEvent({ repository: { fullName: TEST_REPOSITORY, defaultBranch: "main" }, ref, before, after });

export const pullRequestPayload = (action: "opened" | "synchronize" | "reopened" | "closed", number: number, sha: string, baseSha: string) =>
  buildPullRequestEvent({ action, number, repository: { fullName: TEST_REPOSITORY, defaultBranch: "main" }, head: { sha, ref: `pr-${number}` }, base: { sha: baseSha, ref: "main" } });

/** Runs the Durable Object's alarm until its queue is empty (at most `alarms` times), then returns its status. */
export async function settle(alarms = 200) {
  for (let i = 0; i < alarms; i++) {
    await runDurableObjectAlarm(reconciler());
    const status = await reconciler().status();
    if (status.queued.length === 0 && status.current === null) return status;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the reconciler did not settle");
}

export interface WorldInit {
  /** Files of the default branch's first commit (a README when omitted, so the branch exists). */
  files?: Record<string, string>;
  /** Credentials in the ngrok account before the test, as `/__emulator/seed` takes them. */
  seed?: unknown[];
  /** More repositories, e.g. delivery targets. */
  repos?: { full_name: string; environments?: string[] }[];
}

/**
 * A test file's own world: an empty ngrok account (plus `seed`), and a GitHub stand-in holding only this
 * deployment's repository (plus `repos`) with one commit on main. Durable Object and KV storage are already
 * per file (pool-workers isolates them), so with this no file depends on what another file left behind.
 * Returns the first commit's SHA and the seeded credentials.
 */
export async function freshWorld(init: WorldInit = {}): Promise<{ base: string; seeded: { id: string }[] }> {
  await emulator("POST", "/__emulator/reset");
  const seeded = init.seed ? ((await emulator("POST", "/__emulator/seed", { credentials: init.seed })) as { credentials: { id: string }[] }).credentials : [];
  await github("POST", "/__fake/reset");
  await github("POST", "/__fake/repos", { full_name: TEST_REPOSITORY, default_branch: "main" });
  for (const repo of init.repos ?? []) await github("POST", "/__fake/repos", { default_branch: "main", ...repo });
  const base = (await commit("main", init.files ?? { "README.md": "test\n" })).sha;
  return { base, seeded };
}

export const admin = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://worker${path}`, { ...init, headers: { Authorization: `Bearer ${TEST_SECRETS.ADMIN_TOKEN}`, ...(init.headers ?? {}) } });

/**
 * The ngrok rate limit the Worker paces to (NGROK_RATE_LIMIT): the Durable Object's env is fixed for the test run, so
 * it is set on the instance that runs the alarms. That env is the same object as `bindings`, so a file puts the
 * configured rate back with `restoreWorkerRate`, never by reading `bindings.NGROK_RATE_LIMIT` (already changed).
 */
export const setWorkerRate = (rate: string) =>
  runInDurableObject(reconciler(), async (instance) => {
    (instance as unknown as { env: Env }).env.NGROK_RATE_LIMIT = rate;
  });

/** Puts back the rate global setup configured (the value `bindings` had before any `setWorkerRate`). */
export const restoreWorkerRate = () => setWorkerRate(inject("workerBindings").NGROK_RATE_LIMIT ?? "");

/**
 * Polls /api/status until `done` holds, for runs whose alarms fire by themselves (paced to the account's window, as
 * in production): 6,000 polls, a hang guard, never a measure of speed.
 */
export async function untilStatus(done: (status: StatusInfo) => boolean, pollMs: number): Promise<StatusInfo> {
  for (let i = 0; i < 6000; i++) {
    const status = await reconciler().status();
    if (done(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`the reconciler's status did not reach what the test waits for in 6000 polls of ${pollMs} ms`);
}
