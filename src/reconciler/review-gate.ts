// The Worker's review gate: asks GitHub for the merged pull request, its reviews, CODEOWNERS and teams, and lets src/review/ decide.
import { loadSpecs } from "../desired/load.js";
import type { CredentialSpec } from "../desired/types.js";
import type { GitHubClient } from "../github/client.js";
import { isTeamMember, listReviews, mergedPullOf, parentOf, readCodeownersAt, treeKeyAt } from "../github/reviews.js";
import { readSpecsAt } from "../github/specs.js";
import type { Plan } from "../plan/types.js";
import { ownersOf, ownerText, parseCodeowners, type Codeowners } from "../review/codeowners.js";
import { pullJudge } from "../github/pulls.js";
import { changedCredentials, decideReview, heldFor, membershipLookups, type ChangedCredential, type ReviewInput } from "../review/decide.js";
import { BudgetExhaustedError, type Budget } from "../run/budget.js";
import type { ReviewGate } from "../run/ports.js";
import type { RunState } from "../run/state.js";
import type { ReviewOutcome } from "../run/types.js";
import type { ReconcilerStorage } from "./storage.js";

/** Calls of one check when each reviewed commit and team needs a lookup of its own: parent, 2 CODEOWNERS, pulls, reviews, last applied tree, login, plus a few trees and memberships. */
export const REVIEW_GATE_CALLS = 14;

/** Credentials a pull request's review note names; the rest are counted. */
const NOTE_LINES = 20;

export function reviewGate(github: GitHubClient, repository: string, storage: ReconcilerStorage, budget: Budget, ownerId: string): ReviewGate {
  const blobs = storage.caches.blobs();
  return {
    cost: (state) => (required(state, storage) > 0 ? REVIEW_GATE_CALLS : 0),
    async notes(state: Readonly<RunState>, specs: readonly CredentialSpec[]): Promise<string[]> {
      const request = state.request;
      if (request.cause !== "pull_request") return [];
      const approvals = required(state, storage);
      const head = `review: once merged, this is applied only with ${approvals} approval${approvals === 1 ? " that counts" : "s that count"} (not the author's), given on the final credentials/ and policy`;
      try {
        // Judged as it will be merged: against the default branch's head (see pullJudge).
        const base = (await pullJudge(github, repository, request.pr)).sha;
        const changed = changedCredentials(await specsAt(github, repository, base, ownerId, storage), specs, { changes: [] });
        const owners = await readCodeownersAt(github, repository, base, blobs);
        const parsed = owners ? parseCodeowners(owners.path, owners.content) : null;
        if (parsed && !parsed.ok) return [`${head}; ${owners?.path} on the base branch is invalid (${parsed.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("; ")}), so the apply will be held until it is fixed`];
        const codeowners = parsed?.ok ? parsed.codeowners : null;
        const lines = changed.flatMap((c) => c.files.map((file) => {
          const who = codeowners ? ownersOf(codeowners, file).owners.map(ownerText) : [];
          return `${c.name} (${file}): ${who.length > 0 ? who.join(" or ") : "any reviewer (no owner in CODEOWNERS)"}`;
        }));
        if (lines.length === 0) return [head];
        const shown = lines.slice(0, NOTE_LINES);
        return [`${head}; each changed credential also needs an approval from one of its owners: ${shown.join("; ")}${lines.length > shown.length ? `; and ${lines.length - shown.length} more` : ""}`];
      } catch (error) {
        if (budget.refused || error instanceof BudgetExhaustedError) throw error;
        return [`${head}; its owners could not be determined (${error instanceof Error ? error.message : String(error)})`];
      }
    },
    deleteApprovalCost: (state) => (state.request.cause === "push" && (storage.state.get("delete_approvals") ?? []).length > 0 ? 1 : 0),
    async deleteApproval(state: Readonly<RunState>): Promise<string | null> {
      const approvals = storage.state.get("delete_approvals") ?? [];
      if (state.request.cause !== "push" || state.sha === null || approvals.length === 0) return null;
      try {
        const pull = await mergedPullOf(github, repository, state.sha);
        // Bound to the head the command saw: a push after it (a new head) voids it.
        const approval = pull ? approvals.findLast((a) => a.pr === pull.number && a.sha === pull.head) : undefined;
        return approval ? `MAX_DELETES lifted for this merge: /ngrok-gitops allow-deletes by @${approval.actor} on #${approval.pr} at ${approval.sha.slice(0, 7)} (${approval.at})` : null;
      } catch (error) {
        // Not verified, not lifted: MAX_DELETES stands.
        if (budget.refused || error instanceof BudgetExhaustedError) throw error;
        return null;
      }
    },
    async check(state: Readonly<RunState>, plan: Plan, specs: readonly CredentialSpec[]): Promise<ReviewOutcome | null> {
      const sha = state.sha;
      const tree = state.tree;
      if (sha === null || tree === null) return null;
      const last = storage.state.get("last_applied");
      // The state already applied (cron plans it while a later commit is held): what it corrects toward was reviewed.
      if (last?.sha === sha) return null;
      const request = state.request;
      if (request.cause === "manual" && request.release === sha) {
        return { verdict: "released", pr: null, approvers: [], reasons: [`released by ${request.actor ?? "the operator"} without the review check`], missing: [] };
      }
      let changed: ChangedCredential[] = [];
      try {
        const approvals = required(state, storage);
        storage.state.set("reviews", { enforced: approvals > 0, approvals: approvals > 0 ? approvals : null, sha, at: new Date().toISOString() });
        if (approvals === 0) return null;
        const parent = await parentOf(github, repository, sha);
        changed = changedCredentials(last ? await specsAt(github, repository, last.sha, ownerId, storage) : null, specs, plan);
        const owners = parent ? await readCodeownersAt(github, repository, parent, blobs) : null;
        let codeowners: Codeowners | null = null;
        if (owners) {
          const parsed = parseCodeowners(owners.path, owners.content);
          if (!parsed.ok) return { ...heldFor(`${owners.path} is invalid, so owners cannot be known: ${parsed.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("; ")}`, changed), pr: null };
          codeowners = parsed.codeowners;
        }
        const pull = await mergedPullOf(github, repository, sha);
        const reviews = pull ? await listReviews(github, repository, pull.number) : [];
        const treesAt = new Map<string, string>();
        for (const review of reviews) if (review.state === "APPROVED" && !treesAt.has(review.commit_id)) treesAt.set(review.commit_id, review.commit_id === sha ? tree : await treeKeyAt(github, repository, review.commit_id));
        const input: ReviewInput = { approvals, sha, tree, pull, reviews, treesAt, appLogin: await github.login(), changed, codeowners, members: new Map() };
        const members = new Map<string, Set<string>>();
        for (const q of membershipLookups(input)) {
          if (!(await isTeamMember(github, q.org, q.slug, q.user))) continue;
          const team = `${q.org}/${q.slug}`.toLowerCase();
          members.set(team, new Set([...(members.get(team) ?? []), q.user.toLowerCase()]));
        }
        return { ...decideReview({ ...input, members }), pr: pull?.number ?? null };
      } catch (error) {
        if (budget.refused || error instanceof BudgetExhaustedError) throw error;
        // Never applied unverified: GitHub down (or answering nonsense) holds the commit.
        const message = error instanceof Error ? error.message : String(error);
        return { ...heldFor(`reviews could not be verified (${message}); nothing of this commit is applied until they can be`, changed), pr: null };
      }
    },
  };
}

/**
 * Approvals the commit needs: its own policy's, or the last applied commit's if more (the standing rule), so a
 * commit cannot switch reviews off by deleting `review:`; 0 when neither has one.
 */
function required(state: Readonly<RunState>, storage: ReconcilerStorage): number {
  return Math.max(state.approvals ?? 0, storage.state.get("applied_review")?.approvals ?? 0);
}

/** The specs of the last applied commit (its blobs are cached): what "changed" is measured against. */
export async function specsAt(github: GitHubClient, repository: string, sha: string, ownerId: string, storage: ReconcilerStorage): Promise<CredentialSpec[] | null> {
  const snapshot = await readSpecsAt(github, repository, sha, storage.caches.blobs());
  const loaded = loadSpecs(snapshot.sources, { ownerId, cache: storage.caches.specs() });
  return loaded.ok ? loaded.specs : null;
}
