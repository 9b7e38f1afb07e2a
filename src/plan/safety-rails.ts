// Safety rails, each a small function over a plan (the shape of external-dns's plan/policy.go).
import { decodeMetadata } from "../ownership/marker.js";
import type { Credential } from "../ngrok/types.js";
import type { PlanChange, Plan, Refusal } from "./types.js";

export type SafetyRail = (plan: Plan) => Plan;

/**
 * `prevent_destroy` fails a plan that deletes or replaces the credential. The protection is read from the
 * live marker too, so deleting the spec of a protected credential is refused until a commit lifts it.
 * Orphans (nobody holds their token) are exempt.
 */
export function preventDestroy(live: readonly Credential[], held: HeldTokens = { stored: new Map(), rotateNow: new Set() }): SafetyRail {
  return (plan) => {
    // Only credentials the plan would destroy are decoded: on a large account that is a handful, not all.
    const targets = new Set(plan.changes.flatMap((change) => (change.action === "delete" || change.action === "replace" || change.action === "rotate" ? [change.id] : [])));
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
    return rotateUnheld(withRefusals(plan, refusals), protectedIds, held);
  };
}

/** What the vault holds, and which names the operator asked to rotate now (POST /api/credentials/{name}/rotate). */
export interface HeldTokens {
  /** name → id of every credential whose token the vault holds. */
  stored: ReadonlyMap<string, string>;
  rotateNow: ReadonlySet<string>;
}

/**
 * A rotation deletes the old credential once its grace window ends. When the vault does not hold its token
 * (imported, or the token was lost), its holders are outside and get no successor: for a prevent_destroy
 * credential that happens only when the operator asks for this name explicitly. A spec's own rotate_after
 * asking for it refuses the plan; the deployment's ROTATE_AFTER default only leaves the rotation out, noted,
 * so a default cannot jam every apply.
 */
function rotateUnheld(plan: Plan, protectedIds: ReadonlySet<string>, held: HeldTokens): Plan {
  const refusals: Refusal[] = [];
  const skipped: string[] = [];
  const changes = plan.changes.filter((change) => {
    if (change.action !== "rotate" || held.rotateNow.has(change.name)) return true;
    if (!(change.spec.prevent_destroy || protectedIds.has(change.id)) || held.stored.get(change.name) === change.id) return true;
    if (change.spec.rotate_after_ms !== undefined) {
      refusals.push({
        code: "ROTATE_UNHELD",
        name: change.name,
        message: `"${change.name}" has prevent_destroy and its token is not in the vault: rotating it (rotate_after) would delete ${change.id}, which others hold; remove rotate_after, or have the operator rotate it explicitly (POST /api/credentials/${change.name}/rotate)`,
      });
      return true;
    }
    skipped.push(change.name);
    return false;
  });
  if (skipped.length === 0) return withRefusals(plan, refusals);
  const note = `not rotated (prevent_destroy, token not in the vault, so its holders would lose it): ${skipped.join(", ")}; rotate explicitly with POST /api/credentials/{name}/rotate`;
  return withRefusals({ ...plan, changes, notes: [...plan.notes, note] }, refusals);
}

/** Why a change ends a live credential (now, or after a rotation's grace window); null when it ends none. */
function ending(change: PlanChange, rotateNow: ReadonlySet<string>): "hard" | "retired" | "scheduled" | null {
  if (change.action === "replace") return "hard";
  if (change.action === "rotate") return rotateNow.has(change.name) ? "hard" : "scheduled";
  if (change.action !== "delete") return null;
  // An orphan's token was never handed to anyone: deleting it ends nothing anybody holds (and it is created again).
  if (change.reason === "orphan") return null;
  // A matured expiry (its date was ahead when its commit was applied, see withExpiry) is a security control that was
  // reviewed and applied in advance: never held back. A date born past counts like any delete.
  if (change.reason === "expired" && "matured" in change && change.matured === true) return null;
  return change.reason === "retired" ? "retired" : "hard";
}

/**
 * MAX_DELETES: at most `limit` changes per run may end a credential: deletes, replaces, rotations (their old
 * credential is deleted after the grace window) and the deletes of retired ones. Deletes, replaces and rotations
 * the operator asked for count first; more of them than the limit refuse the plan unless allowed. Retired
 * deletes and scheduled rotations (rotate_after) fill the room left, oldest work first, and the rest wait for
 * the next runs: many credentials falling due at once rotate a few per run instead of jamming every apply.
 */
export function maxDeletes(limit: number, allowed: boolean, rotateNow: ReadonlySet<string> = new Set()): SafetyRail {
  return (plan) => {
    if (allowed) return plan;
    let hard = 0;
    const counts = { delete: 0, replace: 0, rotate: 0 };
    for (const change of plan.changes) {
      if (ending(change, rotateNow) !== "hard") continue;
      hard++;
      if (change.action === "delete" || change.action === "replace" || change.action === "rotate") counts[change.action]++;
    }
    if (hard > limit) {
      const parts = [`${counts.delete} delete${counts.delete === 1 ? "" : "s"}`, `${counts.replace} replace${counts.replace === 1 ? "" : "s"}`, `${counts.rotate} requested rotation${counts.rotate === 1 ? "" : "s"}`];
      return withRefusals(plan, [{ code: "MAX_DELETES", message: `the plan ends ${hard} credentials (${parts.join(", ")}); MAX_DELETES is ${limit} (allow it explicitly to proceed)` }]);
    }
    let room = limit - hard;
    const deferred = { retired: 0, rotations: [] as string[] };
    // Retired deletes first (they finish rotations already under way), then scheduled rotations by name.
    const soft = plan.changes.filter((change) => ending(change, rotateNow) === "retired").concat(plan.changes.filter((change) => ending(change, rotateNow) === "scheduled"));
    const kept = new Set<PlanChange>();
    for (const change of soft) {
      if (room > 0) {
        kept.add(change);
        room--;
      } else if (change.action === "rotate") deferred.rotations.push(change.name);
      else deferred.retired++;
    }
    if (deferred.retired === 0 && deferred.rotations.length === 0) return plan;
    const changes = plan.changes.filter((change) => ending(change, rotateNow) === null || ending(change, rotateNow) === "hard" || kept.has(change));
    const later: string[] = [];
    if (deferred.rotations.length > 0) {
      const shown = deferred.rotations.slice(0, 10).join(", ");
      const more = deferred.rotations.length > 10 ? ` and ${deferred.rotations.length - 10} more` : "";
      later.push(`${deferred.rotations.length} scheduled rotation${deferred.rotations.length === 1 ? "" : "s"} (${shown}${more})`);
    }
    if (deferred.retired > 0) later.push(`${deferred.retired} delete${deferred.retired === 1 ? "" : "s"} of rotated-out credentials`);
    // Deliveries stay: a deferred rotation's targets get the current token, which is still the one in use.
    return {
      ...plan,
      changes,
      notes: [...plan.notes, `MAX_DELETES is ${limit}: ${later.join(" and ")} wait for the next runs`],
    };
  };
}

/** No spec files at all never means "delete everything": a missing or unreadable folder looks exactly like that. */
export function emptySpecs(specFiles: number, allowed: boolean): SafetyRail {
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
