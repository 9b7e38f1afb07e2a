// How queued run requests coalesce: a pure rule that merges only what loses no effect somebody asked for.
import type { RunRequest } from "./types.js";

/**
 * The queue entry a request joins. One pending apply of the default branch (it applies the newest head), one
 * apply carrying an allow_deletes approval (never merged into a plain apply: the approval is for the commit
 * the operator saw, not for whatever a later push brings), one manual plan, one plan per pull request.
 */
export function queueKey(request: RunRequest): string {
  switch (request.cause) {
    case "pull_request":
      return `pr:${request.pr}`;
    case "manual":
      if (request.mode === "plan") return "plan";
      // A release names its commit: never merged into an apply of whatever the head is.
      if (request.release) return `apply:release:${request.release}`;
      return request.allowDeletes ? `apply:allow:${request.sha ?? "head"}` : "apply";
    default:
      return "apply";
  }
}

/** Applies of the default branch run before plans: a plan made before a pending apply would be stale at once. */
export function priority(key: string): 0 | 1 {
  return key === "apply" || key.startsWith("apply:") ? 0 : 1;
}

/** How strongly a request asks for an apply: a push or a manual apply must apply; a cron tick applies only in DRIFT_MODE=correct. */
function strength(request: RunRequest): number {
  if (request.mode === "plan") return 0;
  return request.cause === "cron" ? 1 : 2;
}

/**
 * The request that stands for both (same queue key). The later request wins unless it asks for less (a cron tick
 * arriving after a push never turns the push into a drift check); rotations asked for by either are kept.
 */
export function coalesce(pending: RunRequest, incoming: RunRequest): RunRequest {
  if (queueKey(pending) !== queueKey(incoming)) throw new Error(`internal: ${queueKey(pending)} and ${queueKey(incoming)} do not coalesce`);
  const kept = strength(incoming) >= strength(pending) ? incoming : pending;
  if (kept.cause === "pull_request") return kept;
  const rotate = [...new Set([...rotationsOf(pending), ...rotationsOf(incoming)])];
  return rotate.length > 0 ? { ...kept, rotate } : kept;
}

function rotationsOf(request: RunRequest): string[] {
  return request.cause === "pull_request" ? [] : (request.rotate ?? []);
}

export interface Queued {
  key: string;
  /** Order of arrival (an enqueue time or a sequence number). */
  at: string;
}

/** The entry to run next: applies first, then plans, each in order of arrival. */
export function nextQueued<T extends Queued>(queue: readonly T[]): T | null {
  let best: T | null = null;
  for (const entry of queue) {
    if (best === null || priority(entry.key) < priority(best.key) || (priority(entry.key) === priority(best.key) && (entry.at < best.at || (entry.at === best.at && entry.key < best.key)))) best = entry;
  }
  return best;
}
