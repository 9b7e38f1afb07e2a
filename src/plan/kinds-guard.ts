// Until the run core drives the other kinds (src/kinds/), a plan says so instead of reporting "No changes" for them, and never creates a credential under the wrong owner.
import type { KindSpecs } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { Plan } from "./types.js";

/**
 * A credential with `owner:` is refused (the run cannot resolve a service user's id yet: creating it under the
 * account, then replacing it later, would mint a token twice); specs of the other kinds get one note.
 */
export function guardUnappliedKinds(plan: Plan, specs: readonly CredentialSpec[], kinds: KindSpecs): Plan {
  const owned = specs.filter((spec) => spec.owner !== undefined);
  const counts = [
    [kinds.service_users.length, "service user"],
    [kinds.api_keys.length, "API key"],
    [kinds.ssh_credentials.length, "SSH credential"],
  ] as const;
  const shown = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n === 1 ? "" : "s"}`);
  if (owned.length === 0 && shown.length === 0) return plan;
  const notes = shown.length === 0 ? plan.notes : [...plan.notes, `${shown.join(", ")} in the specs are validated, but this run does not apply them yet (only credentials are applied)`];
  const refusals = owned.map((spec) => ({
    code: "OWNER_UNRESOLVED" as const,
    name: spec.name,
    message: `"${spec.name}" names its owner as owner: ${spec.owner?.name ?? ""}, which this run cannot resolve to an id yet; set owner_id (bot_…) instead for now`,
  }));
  return { ...plan, notes, refusals: [...plan.refusals, ...refusals] };
}
