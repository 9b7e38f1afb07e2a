// The Worker's review gate: asks GitHub for the merged pull request, its reviews, CODEOWNERS and teams, and lets src/review/ decide.
import { loadSpecs } from "../desired/load.js";
import type { GitHubClient } from "../github/client.js";
import { isTeamMember, listReviews, mergedPullOf, parentOf, readCodeownersAt, treeKeyAt } from "../github/reviews.js";
import { readSpecsAt } from "../github/specs.js";
import type { Plan } from "../plan/types.js";
import { parseCodeowners, type Codeowners, type CodeownersError } from "../review/codeowners.js";
import { pullJudge } from "../github/pulls.js";
import { decideReview, heldFor, membershipLookups, type ChangedCredential, type ReviewInput } from "../review/decide.js";
import { changedItems, type ReviewedSpecs } from "../review/kinds.js";
import { reviewNotes } from "../review/so-far.js";
import { BudgetExhaustedError, type Budget } from "../run/budget.js";
import type { ReviewGate } from "../run/ports.js";
import type { RunState } from "../run/state.js";
import type { ReviewOutcome } from "../run/types.js";
import type { ReconcilerStorage } from "./storage.js";

/**
 * Calls of one check when each reviewed commit and team needs a lookup of its own: parent, 2 CODEOWNERS, pulls, reviews,
 * last applied tree, login, plus a few trees and memberships (a pull request's notes: its head's CODEOWNERS too).
 */
export const REVIEW_GATE_CALLS = 16;

export function reviewGate(github: GitHubClient, repository: string, storage: ReconcilerStorage, budget: Budget, ownerId: string): ReviewGate {
  const blobs = storage.caches.blobs();
  return {
    cost: (state) => (required(state, storage) > 0 ? REVIEW_GATE_CALLS : 0),
    async notes(state: Readonly<RunState>, specs: ReviewedSpecs): Promise<string[]> {
      const request = state.request;
      if (request.cause !== "pull_request") return [];
      const approvals = required(state, storage);
      const head = `review: once merged, this is applied only with ${approvals} approval${approvals === 1 ? " that counts" : "s that count"} (not the author's), given on the final credentials/ and policy`;
      try {
        // Judged as it will be merged: against the default branch's head (see pullJudge).
        const judge = await pullJudge(github, repository, request.pr);
        const changed = changedItems(await specsAt(github, repository, judge.sha, ownerId, storage), specs, { changes: [] });
        const owners = await readCodeownersAt(github, repository, judge.sha, blobs);
        const parsed = owners ? parseCodeowners(owners.path, owners.content) : null;
        if (parsed && !parsed.ok) return [`${head}; ${owners?.path} on the base branch is invalid (${parsed.errors.map(errorText).join("; ")}), so the apply will be held until it is fixed`];
        // A pull request that breaks CODEOWNERS hears it now, at file and line: once merged, every later apply would be held.
        const proposed = await readCodeownersAt(github, repository, request.sha, blobs);
        const broken = proposed && proposed.sha !== owners?.sha ? parseCodeowners(proposed.path, proposed.content) : null;
        const invalid = broken && !broken.ok ? [`review: this pull request's ${proposed?.path} is invalid (${broken.errors.map(errorText).join("; ")}): once merged, every apply is held until it is fixed`] : [];
        if (state.tree === null) return [head, ...invalid];
        // The approvals so far, read as the merge's apply will read them: against this head's credentials/ and policy.
        const input = await reviewInput(github, repository, { approvals, sha: request.sha, tree: state.tree, pull: { number: request.pr, author: judge.author ?? "" }, changed, codeowners: parsed?.ok ? parsed.codeowners : null }, PLAN_LOOKUPS);
        return [...reviewNotes(input), ...invalid];
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
    async check(state: Readonly<RunState>, plan: Plan, specs: ReviewedSpecs): Promise<ReviewOutcome | null> {
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
        changed = changedItems(last ? await specsAt(github, repository, last.sha, ownerId, storage) : null, specs, plan);
        const owners = parent ? await readCodeownersAt(github, repository, parent, blobs) : null;
        let codeowners: Codeowners | null = null;
        if (owners) {
          const parsed = parseCodeowners(owners.path, owners.content);
          if (!parsed.ok) return { ...heldFor(`${owners.path} is invalid, so owners cannot be known: ${parsed.errors.map(errorText).join("; ")}`, changed), pr: null };
          codeowners = parsed.codeowners;
        }
        const pull = await mergedPullOf(github, repository, sha);
        const input = await reviewInput(github, repository, { approvals, sha, tree, pull, changed, codeowners }, null);
        return { ...decideReview(input), pr: pull?.number ?? null };
      } catch (error) {
        if (budget.refused || error instanceof BudgetExhaustedError) throw error;
        // Never applied unverified: GitHub down (or answering nonsense) holds the commit.
        const message = error instanceof Error ? error.message : String(error);
        return { ...heldFor(`reviews could not be verified (${message}); nothing of this commit is applied until they can be`, changed), pr: null };
      }
    },
  };
}

/** A CODEOWNERS error as `file:line:column: message`. */
function errorText(e: CodeownersError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** A plan's note reads at most this many earlier reviewed commits and team memberships (more are "not counted"/unknown); an apply reads all it needs. */
const PLAN_LOOKUPS = 4;

/**
 * The reviews of `pull` and what the decision needs besides: the tree each approved commit held, our App's login and
 * the memberships of approvers in owning teams. `limit` bounds the tree and membership lookups (null: none).
 */
async function reviewInput(github: GitHubClient, repository: string, facts: Omit<ReviewInput, "reviews" | "treesAt" | "appLogin" | "members">, limit: number | null): Promise<ReviewInput> {
  const reviews = facts.pull ? await listReviews(github, repository, facts.pull.number) : [];
  const treesAt = new Map<string, string>();
  let lookups = 0;
  const room = () => limit === null || lookups < limit;
  for (const review of reviews) {
    if (review.state !== "APPROVED" || treesAt.has(review.commit_id)) continue;
    if (review.commit_id === facts.sha) treesAt.set(review.commit_id, facts.tree);
    else if (room()) {
      // Past the limit a commit stays unread, so counts as a different tree: never an approval it was not shown to be.
      lookups++;
      treesAt.set(review.commit_id, await treeKeyAt(github, repository, review.commit_id));
    }
  }
  const input: ReviewInput = { ...facts, reviews, treesAt, appLogin: await github.login(), members: new Map() };
  const members = new Map<string, Set<string>>();
  for (const q of membershipLookups(input)) {
    if (!room()) break;
    lookups++;
    if (!(await isTeamMember(github, q.org, q.slug, q.user))) continue;
    const team = `${q.org}/${q.slug}`.toLowerCase();
    members.set(team, new Set([...(members.get(team) ?? []), q.user.toLowerCase()]));
  }
  return { ...input, members };
}

/**
 * Approvals the commit needs: its own policy's, or the last applied commit's if more (the standing rule), so a
 * commit cannot switch reviews off by deleting `review:`; 0 when neither has one.
 */
function required(state: Readonly<RunState>, storage: ReconcilerStorage): number {
  return Math.max(state.approvals ?? 0, storage.state.get("applied_review")?.approvals ?? 0);
}

/** The specs of the last applied commit (its blobs are cached): what "changed" is measured against. */
export async function specsAt(github: GitHubClient, repository: string, sha: string, ownerId: string, storage: ReconcilerStorage): Promise<ReviewedSpecs | null> {
  const snapshot = await readSpecsAt(github, repository, sha, storage.caches.blobs());
  const loaded = loadSpecs(snapshot.sources, { ownerId, cache: storage.caches.specs() });
  return loaded.ok ? { specs: loaded.specs, kinds: loaded.kinds } : null;
}
