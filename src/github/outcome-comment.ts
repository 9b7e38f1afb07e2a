// After a merge's apply (or hold): the Applied, Held or Failed section on the merged pull request's sticky comment.
import { upsertOutcomeSection } from "./feedback.js";
import type { GitHubClient } from "./client.js";
import { mergedPullOf } from "./reviews.js";
import { renderOutcomeSection } from "../plan/outcome.js";
import type { Budget } from "../run/budget.js";
import type { RunState } from "../run/state.js";
import type { RunOutput } from "../run/types.js";
import type { ReconcilerStorage } from "../reconciler/storage.js";

/** Calls the section costs at most: the commit → pulls lookup, then the remembered comment read and written; a forgotten one is looked for (login, 3 pages). */
const CALLS_KNOWN = 3;
const CALLS_LOOKED_FOR = 6;

export interface OutcomeInput {
  github: GitHubClient;
  repository: string;
  storage: ReconcilerStorage;
  budget?: Budget;
}

/**
 * Writes the outcome of an apply of `state.sha` (a push, or a release) onto the pull request merged as that commit,
 * if any (a held commit runs in plan mode, so the request says it was an apply). A failure to write it is reported in the run's errors, never hides the run's own outcome.
 */
export async function reportOutcome({ github, repository, storage, budget }: OutcomeInput, state: Readonly<RunState>, output: RunOutput): Promise<void> {
  const sha = state.sha;
  const cause = state.request.cause;
  if (cause === "pull_request" || cause === "cron" || state.request.mode !== "apply" || !sha || output.status === "skipped") return;
  try {
    let pr = output.review?.pr ?? null;
    if (pr === null) {
      if (budget && budget.remaining() < CALLS_KNOWN) throw new Error("no subrequests left in this invocation");
      pr = (await mergedPullOf(github, repository, sha))?.number ?? null;
      if (pr === null) return;
    }
    const known = storage.state.planComment(pr);
    if (budget && budget.remaining() < (known !== null ? CALLS_KNOWN - 1 : CALLS_LOOKED_FOR - 1)) throw new Error("no subrequests left in this invocation");
    const { id } = await upsertOutcomeSection(github, repository, pr, renderOutcomeSection({ runId: state.runId, sha, output }), known);
    storage.state.setPlanComment(pr, id);
  } catch (error) {
    output.errors.push(`the outcome was not written on the pull request: ${error instanceof Error ? error.message : String(error)}`);
  }
}
