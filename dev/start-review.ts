// npm start's second local user: approves the pull request (key `a`), and the stand-in's pull_request_review deliveries reach the Worker signed.
import { randomBytes } from "node:crypto";
import { signWebhook } from "../standins/github/webhooks.js";
import { discardBody } from "./drain.js";
import { messageOf } from "../src/cli/errors.js";

/** Who approves in npm start: not the pull request's author (the repository's owner), whose approval never counts. */
export const REVIEWER_LOGIN = "npm-start-reviewer";

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
