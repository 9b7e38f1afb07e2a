// The kinds beside credentials in a run: which lists to read, the credentials' share of the inputs, and the kinds' plan merged into the credentials' (names `list/name`).
import { OTHER_KIND_LISTS, type KindSpecs, type OtherKindList } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { LiveResource } from "../ngrok/resources.js";
import { kindsToList, maxDeletesAcrossKinds, resolveOwners } from "../plan/kinds-diff.js";
import type { KindsPlan } from "../plan/kind-changes.js";
import { diffServiceUsers } from "../plan/service-users-diff.js";
import type { DeliveryRecord, Intent, KindChange, Plan, Refusal } from "../plan/types.js";
import { KINDS } from "../kinds/records.js";
import { usedKinds } from "../kinds/plan-kinds.js";

const PREFIXES = ["service_users/", "api_keys/", "ssh_credentials/"] as const;

/** Whether a vault, intent or delivery name is another kind's (`api_keys/NAME`), not a credential's. */
export function isKindName(name: string): boolean {
  return PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The kinds to list: those the specs use (and service users when an `owner:` needs them), those the previous specs
 * used (so removing a kind's last spec deletes what it made), and those the vault or an open intent names. Nothing
 * for the others: the fewest-calls rule.
 */
export function listsToRead(kinds: KindSpecs, specs: readonly CredentialSpec[], previous: readonly OtherKindList[], names: readonly string[]): OtherKindList[] {
  const managed = new Set<OtherKindList>(previous);
  for (const name of names) for (const prefix of PREFIXES) if (name.startsWith(prefix)) managed.add(prefix.slice(0, -1) as OtherKindList);
  return kindsToList(kinds, specs, managed);
}

/**
 * The kinds applied after this plan (RunPorts.kindsApplied), written before its apply: those the specs use, and of
 * those recorded before, each that was not listed or whose listing still holds one of our marked resources (`ours`,
 * see oursListed). A kind listed empty of ours and unused by the specs leaves the set: the fewest-calls rule again.
 */
export function kindsApplied(recorded: readonly OtherKindList[], kinds: KindSpecs, listed: readonly OtherKindList[], ours: ReadonlySet<string>): OtherKindList[] {
  const keep = usedKinds(kinds);
  for (const list of recorded) if (!listed.includes(list) || ours.has(list)) keep.add(list);
  return OTHER_KIND_LISTS.filter((list) => keep.has(list));
}

export interface ShareInput {
  ownerId: string;
  kinds: KindSpecs;
  specs: readonly CredentialSpec[];
  /** The service users listed (none when they were not). */
  serviceUsers: readonly LiveResource[];
  intents: readonly Intent[];
  delivered?: readonly DeliveryRecord[];
}

/**
 * What the credential plan is made from: the specs with `owner:` resolved (a service user this plan creates gives a
 * pending id apply fills in), and only the credentials' own intents and deliveries (the kinds' are theirs).
 */
export function credentialShare(input: ShareInput): { specs: CredentialSpec[]; intents: Intent[]; delivered?: DeliveryRecord[]; unresolved: Refusal[]; endingOwners: Set<string> } {
  const users = diffServiceUsers(input.ownerId, input.kinds.service_users, input.serviceUsers);
  const owners = users.owners;
  // The service users this plan deletes: the credential diff holds whatever they still own (OWNER_IN_USE reads it).
  const endingOwners = new Set(users.changes.flatMap((change) => (change.action === "delete" ? [change.id] : [])));
  const specs = resolveOwners(input.specs, owners);
  const unresolved = specs
    .filter((spec) => spec.owner !== undefined && spec.owner_id === undefined)
    .map((spec): Refusal => ({ code: "OWNER_UNRESOLVED", name: spec.name, message: `"${spec.name}" names its owner as owner: ${spec.owner?.name ?? ""}, which this plan cannot resolve to a service user` }));
  return {
    specs,
    intents: input.intents.filter((intent) => !isKindName(intent.name)),
    ...(input.delivered ? { delivered: input.delivered.filter((record) => !isKindName(record.name)) } : {}),
    unresolved,
    endingOwners,
  };
}

export interface MergeOptions {
  maxDeletes: number;
  allowDeletes: boolean;
  rotateNow: ReadonlySet<string>;
  /** Whether this driver can apply the other kinds (RunPorts.resources). */
  available: boolean;
}

/**
 * The credential plan with the kinds' plan (kinds-slices.ts, null when the run lists no other kind) merged in: one
 * plan, MAX_DELETES over every kind, the kinds' names as `list/name`.
 */
export function withKinds(plan: Plan, lists: readonly OtherKindList[], kinds: KindsPlan | null, options: MergeOptions, unresolved: readonly Refusal[]): Plan {
  const merged = { ...plan, refusals: [...plan.refusals, ...unresolved] };
  if (lists.length === 0) return merged;
  if (!options.available || kinds === null) return { ...merged, refusals: [...merged.refusals, { code: "KINDS_UNAVAILABLE", message: "the specs hold service users, API keys or SSH credentials, which this driver cannot apply" }] };
  const judged = maxDeletesAcrossKinds(plan, kinds, options.maxDeletes, options.allowDeletes, options.rotateNow);
  return {
    ...merged,
    changes: [...merged.changes, ...judged.changes.map(named)],
    deliveries: [...merged.deliveries, ...judged.deliveries],
    unchanged: [...merged.unchanged, ...judged.unchanged],
    unmanaged: merged.unmanaged + judged.unmanaged,
    foreign: merged.foreign + judged.foreign,
    refusals: [...merged.refusals, ...judged.refusals],
    notes: [...merged.notes, ...judged.notes],
    staleIntents: [...merged.staleIntents, ...judged.staleIntents],
  };
}

/** The ids the credential plan ends (a service user that owns only those may go). */
export function credentialEnds(plan: Plan): Set<string> {
  return new Set(plan.changes.flatMap((change) => (change.action === "delete" || change.action === "replace" ? [change.id] : [])));
}

/** A kind's change under its plan name, `list/name` (the vault's name for its secret). */
function named(change: KindChange): KindChange {
  const kind = KINDS.find((k) => k.id === change.kind);
  return { ...change, name: `${kind?.list ?? change.kind}/${change.name}` };
}

/** The spec name of a kind's plan name (`api_keys/deploy` → `deploy`). */
export function specName(name: string): string {
  return name.slice(name.indexOf("/") + 1);
}
