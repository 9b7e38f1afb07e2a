// npm start's reviews: the example repository turns them on, a second local user approves (key `a`) with its pull_request_review reaching the Worker signed, and the operator releases a held commit (key `r`).
import { randomBytes } from "node:crypto";
import { signWebhook } from "../standins/github/webhooks.js";
import { discardBody } from "./drain.js";
import { messageOf } from "../src/cli/errors.js";
import type { RunInfo } from "./run-status.js";

/** Who approves in npm start: not the pull request's author (the repository's owner), whose approval never counts. */
export const REVIEWER_LOGIN = "npm-start-reviewer";

/**
 * Files the example repository holds beside `credentials/`, in every commit npm start makes: reviews are on (one
 * approval that counts, from the owner CODEOWNERS names), so a newcomer sees held → approved → applied.
 */
export const EXAMPLE_FILES: Readonly<Record<string, string>> = {
  "ngrok-gitops.policy.yaml": "# npm start's example policy: an apply needs a merged pull request approved by the owner of what it changes.\nreview:\n  approvals: 1\n",
  ".github/CODEOWNERS": `# npm start's example: who must approve a change (GitHub's syntax; the last matching line wins).\n/credentials/ @${REVIEWER_LOGIN}\n`,
};

/** What npm start prints once at the start: that reviews are on, and how they go here. */
export const REVIEWS_ON = `Reviews are on in this example repository: ngrok-gitops.policy.yaml has review: {approvals: 1}, and .github/CODEOWNERS makes @${REVIEWER_LOGIN} (key a) the owner of credentials/.`;

/** After a held run: who must approve (the run's errors say per credential) and the ways on from here. */
export function heldHint(run: RunInfo, merged: number | null): string {
  const release = `r and Enter to release it as the operator (POST /api/reconcile {"release":"${run.sha}"}, audited)`;
  if (merged !== null) return `Held: pull request #${merged} was merged without the approval it needs. Press a and Enter to approve it as @${REVIEWER_LOGIN} (the Worker checks the merge again and applies it), or ${release}.`;
  return `Held: ${run.sha.slice(0, 7)} was pushed straight to main, with no pull request behind it. Press ${release}; or press p to propose credentials/ as a pull request, a to approve it, m to merge it.`;
}

/** Releases the held commit `sha` as the operator: the Worker applies it without the review check and audits who asked. */
export async function releaseHeld(workerUrl: string, adminToken: string, sha: string): Promise<void> {
  const res = await fetch(`${workerUrl}/api/reconcile`, {
    method: "POST",
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json", "User-Agent": "npm-start" },
    body: JSON.stringify({ release: sha }),
  });
  if (!res.ok) throw new Error(`POST /api/reconcile {"release":"${sha.slice(0, 7)}…"} answered HTTP ${res.status} ${await res.text()}`);
  await discardBody(res);
}

/** The reviewer's token for this session (the stand-in's, never a real GitHub one). */
export function reviewerToken(): string {
  return `ghp_${randomBytes(18).toString("hex")}`;
}

/** Approves pull request `pr` as REVIEWER_LOGIN through the stand-in's API, as a reviewer's browser would. */
export async function approvePull(githubUrl: string, repository: string, pr: number, token: string): Promise<void> {
  const res = await fetch(`${githubUrl}/repos/${repository}/pulls/${pr}/reviews`, {
    method: "POST",
    headers: { Authorization: `token ${token}`, "User-Agent": "npm-start", "Content-Type": "application/json" },
    body: JSON.stringify({ event: "APPROVE" }),
  });
  if (!res.ok) throw new Error(`approving #${pr} as @${REVIEWER_LOGIN}: HTTP ${res.status} ${await res.text()}`);
  await discardBody(res);
}

/**
 * The stand-in's onWebhook: its pull_request_review deliveries (a review submitted) go to the Worker signed with
 * the webhook secret, with the stand-in's delivery id, as GitHub would send them.
 */
export function forwardReviews(workerUrl: string, secret: string): (delivery: { event: string; delivery: string; payload: unknown }) => void {
  return (delivery) => {
    if (delivery.event !== "pull_request_review") return;
    void (async () => {
      const body = JSON.stringify(delivery.payload);
      const res = await fetch(`${workerUrl}/webhooks/github`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "GitHub-Hookshot/npm-start",
          "X-GitHub-Event": delivery.event,
          "X-GitHub-Delivery": delivery.delivery,
          "X-Hub-Signature-256": await signWebhook(secret, body),
        },
        body,
      });
      await discardBody(res);
      if (res.status !== 202 && res.status !== 200) throw new Error(`the Worker answered the pull_request_review webhook with HTTP ${res.status}`);
    })().catch((error: unknown) => console.error(`error: ${messageOf(error)}`));
  };
}
