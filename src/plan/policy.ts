// Safety rails, each a small function over a plan (the shape of external-dns's plan/policy.go).
import { decodeMetadata } from "../ownership/marker.js";
import type { Credential } from "../ngrok/types.js";
import type { Plan, Refusal } from "./types.js";

export type Policy = (plan: Plan) => Plan;

/**
 * `prevent_destroy` fails a plan that deletes or replaces the credential. The protection is read from the
 * live marker too, so deleting the spec of a protected credential is refused until a commit lifts it.
 * Orphans (nobody holds their token) are exempt.
 */
export function preventDestroy(live: readonly Credential[]): Policy {
  return (plan) => {
    // Only credentials the plan would destroy are decoded: on a large account that is a handful, not all.
    const targets = new Set(plan.changes.flatMap((change) => (change.action === "delete" || change.action === "replace" ? [change.id] : [])));
    const protectedIds = new Set<string>();
    for (const credential of live) {
      if (!targets.has(credential.id)) continue;
      const decoded = decodeMetadata(credential.metadata);
      if (decoded.kind === "managed" && decoded.marker.protect === true) protectedIds.add(credential.id);
    }
    const refusals: Refusal[] = [];
    for (const change of plan.changes) {
      if (change.action === "replace" && (change.spec.prevent_destroy || protectedIds.has(change.id))) {
        refusals.push({ code: "PREVENT_DESTROY", name: change.name, message: `"${change.name}" has prevent_destroy: replacing it (${change.reason}) would delete ${change.id}` });
      }
      // Orphans (nobody holds their token) and retired rotations (their successor is live) are exempt.
      if (change.action === "delete" && change.reason !== "orphan" && change.reason !== "retired" && protectedIds.has(change.id)) {
        // An expired spec cannot set prevent_destroy, so the protection on ngrok dates from before this commit.
        const how = change.reason === "expired" ? "its spec expired in the commit that lifts it: set expires to a future date first, and let it expire once that is applied" : "set prevent_destroy: false in a commit before removing it";
        refusals.push({ code: "PREVENT_DESTROY", name: change.name, message: `"${change.name}" (${change.id}) has prevent_destroy: ${how}` });
      }
    }
    return withRefusals(plan, refusals);
  };
}

/** Refuses mass deletion (an emptied folder, a bad merge) beyond `limit` unless explicitly allowed. */
export function maxDeletes(limit: number, allowed: boolean): Policy {
  return (plan) => {
    if (allowed) return plan;
    const deletes = plan.changes.filter((change) => change.action === "delete" && change.reason === "removed").length;
    if (deletes <= limit) return plan;
    return withRefusals(plan, [{ code: "MAX_DELETES", message: `the plan deletes ${deletes} credentials; MAX_DELETES is ${limit} (allow it explicitly to proceed)` }]);
  };
}

/** No spec files at all never means "delete everything": a missing or unreadable folder looks exactly like that. */
export function emptySpecs(specFiles: number, allowed: boolean): Policy {
  return (plan) => {
    if (allowed || specFiles > 0) return plan;
    const deletes = plan.changes.filter((change) => change.action === "delete" && change.reason === "removed").length;
    if (deletes === 0) return plan;
    return withRefusals(plan, [{ code: "EMPTY_SPECS", message: `no spec files were found under credentials/, so the plan would delete all ${deletes} managed credentials; refusing (allow deletes explicitly if that is really meant)` }]);
  };
}

function withRefusals(plan: Plan, refusals: Refusal[]): Plan {
  return refusals.length === 0 ? plan : { ...plan, refusals: [...plan.refusals, ...refusals] };
}
