// Where a run is, as /api/status and the run's audit entry show it.
import type { RunState } from "./state.js";
import type { RunProgress } from "./types.js";

export function progressOf(state: RunState): RunProgress {
  return { stage: state.stage, listed: state.listed, changes: state.total, applied: state.applied, invocations: state.invocations, max_subrequests: state.max_subrequests, max_work_units: state.max_work_units ?? 0, work_units: state.work_units ?? 0, parsed: state.parsed ?? 0 };
}
