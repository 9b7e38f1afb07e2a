// Reads the Worker's `GET /api/status` answer into the few fields `npm start` shows; the one place to adapt if the shape changes.
import { formatProgress } from "../src/ngrok/progress.js";

/** The Worker's run statuses; an unknown one is shown as is and counts as finished. */
export type RunState = "running" | "succeeded" | "failed" | "invalid" | "refused" | "skipped" | "interrupted" | "held" | (string & {});

/** A run in one of these has not finished yet. */
const UNFINISHED = new Set(["running", "queued"]);

export function isFinished(run: RunInfo): boolean {
  return !UNFINISHED.has(run.status);
}

/** For `npm start --once`: the run did what it should (a skipped run had nothing to do). */
export function isSuccess(run: RunInfo): boolean {
  return run.status === "succeeded" || run.status === "skipped";
}

export interface RunOutcome {
  action: string;
  name: string;
  status: string;
  id?: string;
  /** The credential a create or replace minted. */
  created_id?: string;
  /** For a delivery: where the token went, e.g. acme/site:NGROK_AUTHTOKEN. */
  target?: string;
  error?: string;
}

export interface RunInfo {
  id: string;
  cause: string;
  sha: string;
  status: RunState;
  started_at: string | null;
  finished_at: string | null;
  summary: { create: number; update: number; delete: number } | null;
  plan_text: string;
  outcomes: RunOutcome[];
  errors: string[];
}

export interface WorkerStatus {
  current: RunInfo | null;
  last: RunInfo | null;
  progress: RunProgressInfo | null;
  /** The commit held for want of reviews (`/api/status` `held`), and its merged pull request. */
  held: { sha: string; pr: number | null } | null;
}

/** Where the run in progress is (`/api/status` `progress`): a long apply spans invocations paced to ngrok's limit. */
export interface RunProgressInfo {
  run: string;
  stage: string;
  listed: number;
  changes: number;
  applied: number;
  invocations: number;
  /** While applying: when the remaining changes can have been sent (RFC 3339), and in how long. */
  eta: string | null;
  eta_ms: number | null;
}

/** Tolerant: missing optional fields become empty; a run without an id, sha or status is treated as absent. */
export function readStatus(body: unknown): WorkerStatus {
  const record = asRecord(body);
  const held = asRecord(record?.held);
  return {
    current: readRun(record?.current),
    last: readRun(record?.last),
    progress: readProgress(record?.progress),
    held: held !== null && typeof held.sha === "string" ? { sha: held.sha, pr: typeof held.pr === "number" ? held.pr : null } : null,
  };
}

function readProgress(value: unknown): RunProgressInfo | null {
  const p = asRecord(value);
  if (p === null || (typeof p.run !== "string" && typeof p.run !== "number") || typeof p.stage !== "string") return null;
  return {
    run: String(p.run),
    stage: p.stage,
    listed: num(p.listed),
    changes: num(p.changes),
    applied: num(p.applied),
    invocations: num(p.invocations),
    eta: typeof p.eta === "string" ? p.eta : null,
    eta_ms: typeof p.eta_ms === "number" && Number.isFinite(p.eta_ms) ? p.eta_ms : null,
  };
}

/**
 * Waiting for a run as `npm start` does: it may take as long as it keeps moving (a first apply of 300
 * credentials is over two minutes at ngrok's 120 calls a minute), so the timeout counts from the last sign
 * of progress, not from the start; and a long apply shows a line every `every` changes, as the CLI does.
 */
export class RunWatch {
  #deadline: number;
  #seen = "";
  #shown = 0;

  constructor(
    private readonly stallMs: number,
    private readonly every: number,
    now: number,
  ) {
    this.#deadline = now + stallMs;
  }

  /** The progress line to print now, if any; restarts the stall timeout when the run moved. */
  observe(progress: RunProgressInfo | null, now: number): string | null {
    if (progress === null) return null;
    const key = `${progress.run}/${progress.stage}/${progress.listed}/${progress.applied}/${progress.invocations}`;
    if (key !== this.#seen) {
      this.#seen = key;
      this.#deadline = now + this.stallMs;
    }
    if (progress.stage !== "apply" || progress.changes < this.every || progress.applied - this.#shown < this.every || progress.applied >= progress.changes) return null;
    this.#shown = progress.applied - (progress.applied % this.every);
    const { applied: done, changes: total, eta, eta_ms } = progress;
    return eta === null || eta_ms === null ? `${done}/${total} changes` : formatProgress({ done, total, remaining_calls: total - done, eta, eta_ms });
  }

  stalled(now: number): boolean {
    return now >= this.#deadline;
  }
}

function readRun(value: unknown): RunInfo | null {
  const run = asRecord(value);
  if (run === null) return null;
  const id = run.id;
  const sha = run.sha;
  const status = run.status;
  if ((typeof id !== "string" && typeof id !== "number") || typeof sha !== "string" || typeof status !== "string") return null;
  const summary = asRecord(run.summary);
  return {
    id: String(id),
    cause: typeof run.cause === "string" ? run.cause : "unknown",
    sha,
    status,
    started_at: typeof run.started_at === "string" ? run.started_at : null,
    finished_at: typeof run.finished_at === "string" ? run.finished_at : null,
    summary: summary === null ? null : { create: num(summary.create), update: num(summary.update), delete: num(summary.delete) },
    plan_text: typeof run.plan_text === "string" ? run.plan_text : "",
    outcomes: Array.isArray(run.outcomes) ? run.outcomes.map(readOutcome).filter((o): o is RunOutcome => o !== null) : [],
    errors: Array.isArray(run.errors) ? run.errors.filter((e): e is string => typeof e === "string") : [],
  };
}

function readOutcome(value: unknown): RunOutcome | null {
  const o = asRecord(value);
  if (o === null || typeof o.action !== "string" || typeof o.name !== "string" || typeof o.status !== "string") return null;
  const out: RunOutcome = { action: o.action, name: o.name, status: o.status };
  if (typeof o.id === "string") out.id = o.id;
  if (typeof o.created_id === "string") out.created_id = o.created_id;
  if (typeof o.target === "string") out.target = o.target;
  if (typeof o.error === "string") out.error = o.error;
  else if (asRecord(o.error) !== null && typeof asRecord(o.error)?.message === "string") out.error = String(asRecord(o.error)?.message);
  return out;
}

/** A finished run as lines for the terminal: header, the plan, each change and how it went, errors. */
export function formatRun(run: RunInfo): string {
  const lines = [`Run ${run.id} (${run.cause}) for ${run.sha.slice(0, 7)}: ${run.status}`];
  if (run.plan_text.trim() !== "") lines.push("", ...indent(run.plan_text));
  const shown = new Set<string>();
  const planned = run.outcomes.length > 0 && run.outcomes.every((o) => o.status === "planned");
  if (run.outcomes.length > 0 && !planned) {
    lines.push("", "Applied:");
    for (const o of run.outcomes) {
      const mark = o.status === "done" ? "✓" : o.status === "not_attempted" ? "·" : "✗";
      const ids = o.id && o.created_id ? `${o.id} → ${o.created_id}` : (o.created_id ?? o.id);
      const what = o.status === "not_attempted" ? " (not attempted)" : "";
      const where = o.target ? ` -> ${o.target}` : "";
      lines.push(`  ${mark} ${o.action} ${o.name}${where}${ids ? ` (${ids})` : ""}${what}${o.error ? `: ${o.error}` : ""}`);
      if (o.error) shown.add(`${o.action} ${o.name}: ${o.error}`);
    }
  }
  // A refusal is in the plan text already (`✗ [CODE] message`): print it once.
  const errors = run.errors.filter((e) => !shown.has(e) && !run.plan_text.includes(e));
  if (errors.length > 0) {
    const heading = { invalid: "Spec errors (nothing was applied):", refused: "Refused (nothing was applied):", held: "Held for want of reviews (nothing was applied):" }[run.status as string] ?? "Errors:";
    lines.push("", heading);
    for (const e of errors) lines.push(`  ${e}`);
  }
  return `${lines.join("\n")}\n`;
}

function indent(text: string): string[] {
  return text.trimEnd().split("\n").map((line) => (line === "" ? "" : `  ${line}`));
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}
