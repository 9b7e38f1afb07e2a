// A finished run's record: its row in the runs table and its audit entry, each text capped in bytes (see sql.ts).
import type { RunState } from "../run/state.js";
import type { RunOutput } from "../run/types.js";
import { runAuditContext } from "./audit.js";
import { clipText, fitErrors, PLAN_TEXT_MAX_BYTES } from "./sql.js";
import type { ReconcilerStorage } from "./storage.js";

/** Writes the run's row and its audit entry; throws when SQLite refuses either (the caller records the failure). */
export function writeRunRecord(storage: ReconcilerStorage, state: Readonly<RunState>, finished: RunOutput): void {
  storage.runs.finish(state.runId, finished);
  // The full plan is kept here (up to PLAN_TEXT_MAX_BYTES): PR comments and check runs are cut to GitHub's size limits.
  storage.audit.append({
    ...runAuditContext(state),
    sha: finished.sha,
    kind: "run",
    name: null,
    action: state.request.mode,
    result: finished.status,
    operation_id: null,
    detail: {
      summary: finished.summary,
      errors: fitErrors(finished.errors),
      api_calls: finished.api_calls,
      plan_text: clipText(finished.plan_text, PLAN_TEXT_MAX_BYTES),
      progress: finished.progress ?? null,
      reviewed: finished.reviewed ?? null,
      ...(state.request.caller ? { caller: state.request.caller } : {}),
    },
  });
}
