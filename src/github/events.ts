// The webhook events the Worker acts on: one list for the webhook route, the App manifest and doctor.

/** `ping` is sent to every App and needs no subscription, so it is not listed. */
export const WEBHOOK_EVENTS = ["push", "pull_request", "pull_request_review", "issue_comment"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(event: string): event is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly string[]).includes(event);
}
