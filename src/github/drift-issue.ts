// One GitHub issue for drift: opened when the cron finds drift, updated while it lasts, closed once it is gone. Never one per tick.
import { repoPath, type GitHubClient } from "./client.js";
import { clipBytes, COMMENT_MAX_BYTES } from "./feedback.js";

export const DRIFT_LABEL = "ngrok-gitops-drift";

export interface DriftIssueState {
  number: number;
  /** The body last written, so an unchanged report costs no write. */
  body: string;
}

/** Brings the issue in line with the drift found; returns the state to remember (null once closed). */
export async function syncDriftIssue(
  github: GitHubClient,
  repository: string,
  previous: DriftIssueState | null,
  drift: { body: string } | null,
): Promise<DriftIssueState | null> {
  const repo = repoPath(repository);
  if (drift === null) {
    if (previous) {
      await github.request("POST", `${repo}/issues/${previous.number}/comments`, { body: "The account matches the specs again: closing." });
      await github.request("PATCH", `${repo}/issues/${previous.number}`, { state: "closed", state_reason: "completed" });
    }
    return null;
  }
  const body = clipBytes(drift.body, COMMENT_MAX_BYTES);
  if (previous) {
    if (previous.body !== body) await github.request("PATCH", `${repo}/issues/${previous.number}`, { body, state: "open" });
    return { number: previous.number, body };
  }
  const created = await github.request<{ number: number }>("POST", `${repo}/issues`, {
    title: "ngrok-gitops: the ngrok account drifted from the specs",
    body,
    labels: [DRIFT_LABEL],
  });
  return { number: created.number, body };
}
