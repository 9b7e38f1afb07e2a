// What the Reconciler Durable Object reports: runs, status and audit entries (requests are the run core's).

import type { Cause, OutcomeInfo, RunProgress, RunStatus } from "../run/types.js";
import type { HeldCommit } from "./ledgers.js";

export type { Caller, Cause, OutcomeInfo, RunOutput, RunRequest, RunStatus } from "../run/types.js";

export interface RunInfo {
  id: number;
  cause: Cause;
  mode: "plan" | "apply";
  sha: string | null;
  pr: number | null;
  delivery: string | null;
  actor: string | null;
  status: RunStatus;
  started_at: string;
  finished_at: string | null;
  summary: { create: number; update: number; delete: number } | null;
  plan_text: string;
  outcomes: OutcomeInfo[];
  errors: string[];
  api_calls: { ngrok: number; github: number };
}

export interface StatusInfo {
  /** Where the run in progress is: runs larger than one invocation's subrequest budget continue over several. */
  progress: (RunProgress & {
    run: number;
    /** While applying: when the remaining changes can have been sent at the account's rate limit (RFC 3339), and in how long. */
    eta?: string;
    eta_ms?: number;
  }) | null;
  current: RunInfo | null;
  last: RunInfo | null;
  queued: { key: string; cause: Cause | "rewrap"; mode: string; sha: string | null }[];
  /** Bad or placeholder configuration values by name; no run starts while there are any. */
  config_errors: string[];
  last_applied: { sha: string; tree: string; at: string } | null;
  /** The commit an apply held for want of reviews (nothing of it applied); null when none. */
  held: HeldCommit | null;
  /** Whether applies are gated on reviews (policy `review:`), in words. */
  reviews: string;
  drift: { detected: boolean; at: string | null; changes: number };
}

export interface AuditEntry {
  id: number;
  at: string;
  run_id: number | null;
  kind: "run" | "change" | "delivery" | "token_read" | "key_rotation" | "command";
  cause: string | null;
  sha: string | null;
  delivery: string | null;
  actor: string | null;
  name: string | null;
  action: string | null;
  result: string;
  operation_id: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  name?: string;
  sha?: string;
  since?: string;
  until?: string;
  kind?: string;
  /** Entries with id < before (paging backwards from the newest). */
  before?: number;
  limit?: number;
}
