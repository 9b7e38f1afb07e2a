// Whether a delivery may touch its target secret: only one we wrote and nobody changed since is overwritten or deleted.
import type { Delivery, DeliveryRecord } from "./types.js";

/** A target secret as GitHub showed it just now (its metadata; never its value), or why GitHub could not say. */
export type TargetSeen = { exists: false } | { exists: true; updated_at: string } | { exists: null; error: string };

/** Why `delivery` must leave its target alone, or null when it may go ahead. Pure: the records and GitHub's answer decide. */
export function guardDelivery(delivery: Delivery, records: readonly DeliveryRecord[], seen: TargetSeen): string | null {
  // Nothing there: a deliver creates it, an undeliver has nothing to delete. Unknown: judged when the write is due.
  if (seen.exists !== true) return null;
  // GitHub treats owner, repository, environment and secret names case-insensitively.
  const key = delivery.target.key.toLowerCase();
  const here = records.filter((record) => record.key.toLowerCase() === key);
  const current = here.filter((record) => unchangedSince(record, seen.updated_at));
  if (delivery.action === "deliver") {
    if (here.length === 0) return "the secret already exists and ngrok-gitops did not write it: it is never overwritten (deliver to another name, or delete the secret on GitHub first)";
    if (current.length === 0) return "the secret was changed on GitHub since ngrok-gitops wrote it: it is not overwritten (delete it on GitHub to have the token delivered again, or deliver to another name)";
    return null;
  }
  // Another credential delivers here too: deleting would take its token away.
  const other = here.find((record) => record.name !== delivery.name);
  if (other) return `"${other.name}" delivers to this secret too: it is left in place`;
  if (current.length > 0) return null;
  return here.length === 0
    ? "the secret is not one ngrok-gitops wrote: it is left in place"
    : "the secret was changed on GitHub since ngrok-gitops wrote it: it is left in place and no longer tracked";
}

/**
 * Clocks that may disagree: the server that answers GitHub's PUT and the one that stamps `updated_at` (or ours, for
 * records without GitHub's). Within it our own write is never mistaken for someone else's, which would refuse it for good.
 */
export const CLOCK_SKEW_MS = 2_000;

/**
 * Whether GitHub's `updated_at` is still our write's: no later than GitHub's clock when it answered our PUT (or, for a
 * record without it, our clock when we recorded the write), give or take CLOCK_SKEW_MS. GitHub's times are to the
 * second: a write by someone else within about two seconds of ours is not told apart.
 */
function unchangedSince(record: DeliveryRecord, updatedAt: string): boolean {
  const ours = Date.parse(record.written_at ?? record.at ?? "");
  const theirs = Date.parse(updatedAt);
  return Number.isFinite(ours) && Number.isFinite(theirs) && theirs <= ours + CLOCK_SKEW_MS;
}
