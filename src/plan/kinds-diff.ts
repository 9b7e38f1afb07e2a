// The diff of every kind beside credentials: which kinds to list, `owner:` resolved, and the kinds' diff in one go (kinds-slices.ts, one slice per kind).
import type { KindSpecs, OtherKindList } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import { API_KEYS, vaultName } from "../kinds/records.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { KindsPlan } from "./kind-changes.js";
import { PENDING } from "./kind-views.js";
import { diffKindSlice, finishKinds, kindsContext, SLICED_LISTS, startKinds, type KindPart } from "./kinds-slices.js";
import { maxDeletes } from "./safety-rails.js";
import type { OwnerTarget } from "./service-users-diff.js";
import type { Change, DeliveryRecord, Intent, Plan, RotationSettings } from "./types.js";

export { credentialView } from "./kind-views.js";

export interface KindsDiffInput extends RotationSettings {
  ownerId: string;
  kinds: KindSpecs;
  /** Live items of each kind listed. A kind left out was not listed (see kindsToList): it has nothing managed. */
  live: Partial<Record<OtherKindList, readonly LiveResource[]>>;
  /** Live credentials, and the ids the credential plan ends: a service user still owning one of the rest is not deleted. */
  liveCredentials?: readonly Credential[];
  credentialEnds?: ReadonlySet<string>;
  /** Vault names (`api_keys/NAME`) → id of every secret the vault holds. */
  stored: ReadonlyMap<string, string>;
  /** Open intents, by vault name. */
  intents: readonly Intent[];
  delivered?: readonly DeliveryRecord[];
  expiryWarningMs?: number;
}

/**
 * The kinds a run lists (one page per 100 resources of each, nothing for the others): those the specs use, those
 * an `owner:` needs (service users), and those the caller knows we manage (the last applied specs, the vault), so
 * removing the last spec of a kind still deletes what it made.
 */
export function kindsToList(kinds: KindSpecs, credentials: readonly CredentialSpec[], managed: ReadonlySet<OtherKindList> = new Set()): OtherKindList[] {
  const owners = [...credentials, ...kinds.api_keys, ...kinds.ssh_credentials].some((spec) => spec.owner !== undefined);
  const used = (list: OtherKindList) => kinds[list].length > 0 || managed.has(list) || (list === "service_users" && owners);
  return (["service_users", "api_keys", "ssh_credentials"] as const).filter(used);
}

/** Resolves `owner:` of credential specs to ids; a service user this plan creates gives a pending id (apply fills it in). */
export function resolveOwners<S extends { owner?: { name: string }; owner_id?: string }>(specs: readonly S[], owners: ReadonlyMap<string, OwnerTarget>): S[] {
  return specs.map((spec) => {
    if (spec.owner === undefined) return spec;
    const target = owners.get(spec.owner.name);
    if (target === undefined) return spec;
    return { ...spec, owner_id: "id" in target ? target.id : `${PENDING}${target.pending}` };
  });
}

export function diffKinds(input: KindsDiffInput): KindsPlan {
  const listed = new Set(SLICED_LISTS.filter((list) => input.live[list] !== undefined));
  const context = kindsContext({ ...input, serviceUsers: input.live.service_users ?? [], listed });
  const progress = startKinds(context).map((part, i) => diffKindSlice(context.parts[i] as KindPart, part, input.live[part.list] ?? []));
  return finishKinds(context, progress, { ...(input.liveCredentials ? { liveCredentials: input.liveCredentials } : {}), ...(input.credentialEnds ? { credentialEnds: input.credentialEnds } : {}) });
}

/**
 * MAX_DELETES counts every kind: the credential plan's changes and these together. A refusal goes on the kinds'
 * plan (the credential plan's own refusal, when it has one, already says it).
 */
export function maxDeletesAcrossKinds(credentialPlan: Plan, kinds: KindsPlan, limit: number, allowed: boolean, rotateNow: ReadonlySet<string> = new Set()): KindsPlan {
  if (credentialPlan.refusals.some((refusal) => refusal.code === "MAX_DELETES")) return kinds;
  const all = [...credentialPlan.changes, ...(kinds.changes as Change[])];
  const judged = maxDeletes(limit, allowed, rotateNow)({ ...credentialPlan, changes: all, refusals: [] });
  const kept = new Set(judged.changes);
  const refusals = judged.refusals.map((refusal) => ({ ...refusal, message: refusal.message.replace(/ends (\d+) credentials/, "ends $1 resources of every kind") }));
  return { ...kinds, changes: kinds.changes.filter((change) => kept.has(change as Change)), refusals: [...kinds.refusals, ...refusals] };
}

/** Vault names of the kinds' secrets, for callers keyed by kind. */
export const apiKeyVaultName = (name: string): string => vaultName(API_KEYS, name);
