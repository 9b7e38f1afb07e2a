// The runs table: one row per run (its request, status, plan text, outcomes and cost), pruned by age and count.
import type { RunInfo, RunStatus } from "./types.js";
import type { RunRequest } from "../run/types.js";
import { readJson, runColumnSchemas } from "./persisted.js";
import { clipText, daysAgo, fitErrors, fitList, now, num, numOrNull, OUTCOMES_MAX_BYTES, PLAN_TEXT_MAX_BYTES, str, strOrNull, type Row } from "./sql.js";

export type RunRecord = Pick<RunInfo, "status" | "outcomes" | "errors" | "api_calls"> & { sha?: string | null; summary?: RunInfo["summary"]; plan_text?: string };

export class RunsTable {
  constructor(private readonly sql: SqlStorage) {}

  start(request: RunRequest): number {
    // A run still marked running was cut off (eviction, crash) and not resumed: say so rather than leave it running forever.
    this.sql.exec("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", now());
    const row = this.sql
      .exec(
        "INSERT INTO runs (cause, mode, sha, pr, delivery, actor, status, started_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?) RETURNING id",
        request.cause,
        request.mode,
        "sha" in request ? (request.sha ?? null) : null,
        request.cause === "pull_request" ? request.pr : null,
        request.delivery ?? null,
        request.actor ?? null,
        now(),
      )
      .one();
    return num(row.id);
  }

  /**
   * Records the run's end. Each text is capped in UTF-8 bytes so the row stays under SQLite's 2 MB (see sql.ts): the
   * plan text is cut with a note, outcome lines past OUTCOMES_MAX_BYTES are left out (each change has its audit entry).
   */
  finish(id: number, result: RunRecord): void {
    this.sql.exec(
      "UPDATE runs SET status = ?, sha = COALESCE(?, sha), finished_at = ?, summary = ?, plan_text = ?, outcomes = ?, errors = ?, api_calls = ? WHERE id = ?",
      result.status,
      result.sha ?? null,
      now(),
      result.summary ? JSON.stringify(result.summary) : null,
      clipText(result.plan_text ?? "", PLAN_TEXT_MAX_BYTES),
      fitList(result.outcomes, OUTCOMES_MAX_BYTES).json,
      JSON.stringify(fitErrors(result.errors)),
      JSON.stringify(result.api_calls),
      id,
    );
  }

  /** Marks the run still running interrupted, saying why (its request stays queued, so it runs again). */
  interrupt(reason: string): void {
    this.sql.exec("UPDATE runs SET status = 'interrupted', finished_at = ?, errors = ? WHERE status = 'running'", now(), JSON.stringify(fitErrors([reason])));
  }

  get(id: number): RunInfo | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE id = ?", id).toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  current(): RunInfo | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1").toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  last(): RunInfo | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE status != 'running' ORDER BY id DESC LIMIT 1").toArray()[0];
    return row ? toRunInfo(row) : null;
  }

  /** Keeps finished runs younger than `days`, and always the newest `keep` of them. */
  prune(days: number, keep = 100): void {
    this.sql.exec("DELETE FROM runs WHERE status != 'running' AND finished_at < ? AND id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)", daysAgo(days), keep);
  }
}

function toRunInfo(row: Row): RunInfo {
  const summary = strOrNull(row.summary);
  const json = <T>(column: keyof typeof runColumnSchemas, text: string): T => readJson<T>(runColumnSchemas[column], text, { table: "runs", key: `${num(row.id)}.${column}` });
  return {
    id: num(row.id),
    cause: str(row.cause) as RunInfo["cause"],
    mode: str(row.mode) as RunInfo["mode"],
    sha: strOrNull(row.sha),
    pr: numOrNull(row.pr),
    delivery: strOrNull(row.delivery),
    actor: strOrNull(row.actor),
    status: str(row.status) as RunStatus,
    started_at: str(row.started_at),
    finished_at: strOrNull(row.finished_at),
    summary: summary ? json<RunInfo["summary"]>("summary", summary) : null,
    plan_text: strOrNull(row.plan_text) ?? "",
    outcomes: json<RunInfo["outcomes"]>("outcomes", str(row.outcomes)),
    errors: json<string[]>("errors", str(row.errors)),
    api_calls: json<RunInfo["api_calls"]>("api_calls", str(row.api_calls)),
  };
}
