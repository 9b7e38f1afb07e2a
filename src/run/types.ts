// What a run is asked to do and what it reports: the request types, outcome lines and the run's output.
import type { Action, Delivery, summarize } from "../plan/types.js";

/** A run's stages in order; "targets": the plan's delivery targets are looked at on GitHub, so the plan says which are refused. */
export const STAGES = ["start", "list", "plan", "targets", "apply", "deliver", "report"] as const;
export type Stage = (typeof STAGES)[number];

export type Cause = "pull_request" | "push" | "cron" | "manual";

/** Who sent an operator request: recorded in the audit entry it causes. */
export interface Caller {
  /** CF-Connecting-IP, the client address Cloudflare saw. */
  ip: string | null;
  user_agent: string | null;
}

interface Origin {
  /** GitHub's X-GitHub-Delivery of the webhook that asked for the run. */
  delivery?: string;
  actor?: string;
  /** Operator requests: the caller's address and user agent, for the audit log. */
  caller?: Caller;
}

/**
 * A run request. The union makes an apply of a pull request unrepresentable: pull requests only ever plan,
 * and only the default branch is applied (a push names its commit; cron and manual runs use the head).
 */
export type RunRequest =
  | (Origin & { cause: "pull_request"; mode: "plan"; sha: string; pr: number })
  | (Origin & { cause: "push"; mode: "apply"; sha: string; rotate?: string[] })
  /** Applies in DRIFT_MODE=correct, plans (and reports drift) in DRIFT_MODE=report. */
  | (Origin & { cause: "cron"; mode: "apply"; rotate?: string[] })
  | (Origin & {
      cause: "manual";
      mode: "plan" | "apply";
      /** The commit the operator approved (allow_deletes); when the head has moved on, the approval lapses. */
      sha?: string;
      /**
       * Lifts MAX_DELETES and the empty-folder guard. Bound to the commit the run resolves when it starts:
       * a request carrying it is never merged into a request for a later commit (see coalesce.ts).
       */
      allowDeletes?: boolean;
      /** Credentials to rotate now whatever their age (POST /api/credentials/{name}/rotate). */
      rotate?: string[];
      /** A held commit the operator releases (POST /api/reconcile {"release"}): applied without the review check. */
      release?: string;
    });

export type RunStatus = "running" | "succeeded" | "failed" | "invalid" | "refused" | "skipped" | "interrupted" | "cancelled" | "held";

/** What the review check decided for an apply (see src/review/): held means nothing of the commit was applied. */
export interface ReviewOutcome {
  verdict: "approved" | "held" | "released";
  /** The merged pull request behind the commit (null: none, or not looked up). */
  pr: number | null;
  /** Whose approvals counted. */
  approvers: string[];
  reasons: string[];
  /** Per changed credential (and file), who may still approve it. */
  missing: { name: string; file: string; owners: string[] }[];
}

/** What an outcome line did: a change of the plan, or a delivery. */
export type OutcomeAction = Action | Delivery["action"];

/** Every OutcomeAction, for the checks that read outcome lines back; a record, so a missing or extra one does not compile. */
const OUTCOME_ACTION_SET: Record<OutcomeAction, true> = { create: true, update: true, import: true, replace: true, rotate: true, delete: true, deliver: true, undeliver: true };
export const OUTCOME_ACTIONS = Object.keys(OUTCOME_ACTION_SET) as [OutcomeAction, ...OutcomeAction[]];

export interface OutcomeInfo {
  action: OutcomeAction;
  name: string;
  /** skipped: a step this driver cannot do (the CLI cannot deliver to GitHub); refused: a target secret not ours to touch. `error` says why. */
  status: "done" | "failed" | "not_attempted" | "planned" | "skipped" | "refused";
  id?: string;
  /** For deliveries: the target, e.g. acme/site:NGROK_AUTHTOKEN. */
  target?: string;
  created_id?: string;
  error?: string;
  operation_id?: string;
}

export interface RunProgress {
  stage: Stage;
  listed: number;
  changes: number;
  applied: number;
  invocations: number;
  max_subrequests: number;
  /** The most work units (calibrated CPU) one invocation spent, and the run's total; see src/run/cpu-units.ts. */
  max_work_units: number;
  work_units: number;
  /** Spec files the run parsed (the rest came from the parse cache). */
  parsed: number;
}

export interface RunOutput {
  status: RunStatus;
  sha: string | null;
  summary: ReturnType<typeof summarize> | null;
  plan_text: string;
  outcomes: OutcomeInfo[];
  errors: string[];
  api_calls: { ngrok: number; github: number };
  progress?: RunProgress;
  /** For an apply whose credentials/ tree was planned on a pull request: whether it did what was reviewed. */
  reviewed?: { pr: number; sha: string; matches: boolean };
  /** For an apply under review enforcement (policy `review:`): the review check's verdict. */
  review?: ReviewOutcome;
}

/** The mode a request runs in: a cron tick in DRIFT_MODE=report only plans. */
export function effectiveMode(request: RunRequest, driftMode: "correct" | "report"): "plan" | "apply" {
  if (request.mode === "plan") return "plan";
  return request.cause === "cron" && driftMode === "report" ? "plan" : "apply";
}

/** Whether the request lifts MAX_DELETES for the commit the run resolved (an approval for another commit lapses). */
export function allowsDeletes(request: RunRequest, sha: string | null): boolean {
  return request.cause === "manual" && request.allowDeletes === true && (request.sha === undefined || request.sha === sha);
}

export function rotations(request: RunRequest): readonly string[] {
  return request.cause === "pull_request" ? [] : (request.rotate ?? []);
}
