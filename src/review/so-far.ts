// What a pull request's plan says about its review (pure): the approvals it needs, those it has so far and on which commit, and per changed credential its owners and whether one of them approved.
import { countedApprovals, ownerApprovals, type ReviewInput } from "./decide.js";

/** Credentials a note names; the rest are counted. */
const NOTE_LINES = 20;

/**
 * Two notes: the approvals (needed, counted so far with the commit each was given on, and those that do not count),
 * then each changed credential's owners with who of them approved. Read against the pull request's head: an approval
 * counts when it was given on a commit with the head's `credentials/` and policy.
 */
export function reviewNotes(input: ReviewInput): string[] {
  const { approvals } = input;
  const head = `review: once merged, this is applied only with ${approvals} approval${approvals === 1 ? " that counts" : "s that count"} (not the author's), given on the final credentials/ and policy`;
  const { approvers, voided, ignored } = countedApprovals(input);
  const on = (user: string) => input.reviews.findLast((r) => r.user.toLowerCase() === user.toLowerCase() && r.state === "APPROVED")?.commit_id.slice(0, 7) ?? "?";
  const counted = approvers.map((a) => `@${a} on ${on(a)}`);
  let sofar = `; approvals so far: ${approvers.length} of ${approvals}${counted.length > 0 ? ` (${counted.join(", ")}, this head's credentials/ and policy)` : ""}`;
  const notCounted = [...voided, ...ignored];
  if (notCounted.length > 0) sofar += `; not counted: ${notCounted.join("; ")}`;
  const out = [`${head}${sofar}`];
  const lines = ownerApprovals(input).map(({ name, file, owners, approvedBy }) => {
    const who = owners.length > 0 ? owners.join(" or ") : "any reviewer (no owner in CODEOWNERS)";
    const status = approvedBy.length > 0 ? `approved by ${approvedBy.map((a) => `@${a}`).join(", ")}` : owners.length > 0 ? "no owner's approval yet" : "no approval yet";
    return `${name} (${file}): ${who}, ${status}`;
  });
  if (lines.length === 0) return out;
  const shown = lines.slice(0, NOTE_LINES);
  out.push(`review: each changed credential also needs an approval from one of its owners: ${shown.join("; ")}${lines.length > shown.length ? `; and ${lines.length - shown.length} more` : ""}`);
  return out;
}
