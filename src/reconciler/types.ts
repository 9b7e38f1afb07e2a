// What the Reconciler Durable Object is asked to do, and what it reports.

export type Cause = "pull_request" | "push" | "cron" | "manual";

/** Who sent an operator request: recorded in the audit entry it causes. */
export interface Caller {
  /** CF-Connecting-IP, the client address Cloudflare saw. */
  ip: string | null;
  user_agent: string | null;
}

export interface RunRequest {
  cause: Cause;
  /** plan: read-only; apply: converge the account (only ever from the default branch). */
  mode: "plan" | "apply";
  /** The commit of the event (a PR head, a push's `after`); cron and manual runs use the default branch head. */
  sha?: string;
  pr?: number;
  delivery?: string;
  actor?: string;
  allowDeletes?: boolean;
  /** Credentials to rotate now whatever their age (POST /api/credentials/{name}/rotate). */
  rotate?: string[];
  /** Operator requests: the caller's address and user agent, for the audit log. */
  caller?: Caller;
}

export type RunStatus = "running" | "succeeded" | "failed" | "invalid" | "refused" | "skipped" | "interrupted";

export interface OutcomeInfo {
  action: string;
  name: string;
  status: "done" | "failed" | "not_attempted" | "planned";
  id?: string;
  /** For deliveries: the target, e.g. acme/site:NGROK_AUTHTOKEN. */
  target?: string;
  created_id?: string;
  error?: string;
  operation_id?: string;
}

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
  progress: { run: number; stage: string; listed: number; changes: number; applied: number; invocations: number; max_subrequests: number } | null;
  current: RunInfo | null;
  last: RunInfo | null;
  queued: { key: string; cause: Cause; mode: string; sha: string | null }[];
  last_applied: { sha: string; tree: string; at: string } | null;
  drift: { detected: boolean; at: string | null; changes: number };
}

export interface AuditEntry {
  id: number;
  at: string;
  run_id: number | null;
  kind: "run" | "change" | "delivery" | "token_read" | "key_rotation";
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
