// The kinds beside credentials in a run: which lists to read, the credentials' share of the inputs, and the kinds' plan merged into the credentials' (names `list/name`).
import type { KindSpecs, OtherKindList } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import { diffKinds, kindsToList, maxDeletesAcrossKinds, resolveOwners } from "../plan/kinds-diff.js";
import type { KindsPlan } from "../plan/kind-changes.js";
import { diffServiceUsers } from "../plan/service-users-diff.js";
import type { DeliveryRecord, Intent, KindChange, Plan, Refusal } from "../plan/types.js";
import { KINDS } from "../kinds/records.js";
import type { ListedResource } from "./state.js";

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

/** The other kinds' listing (RunState.kindLive) by list. */
export function byList(items: readonly ListedResource[]): Partial<Record<OtherKindList, LiveResource[]>> {
  const kinds: Partial<Record<OtherKindList, LiveResource[]>> = {};
  for (const { list, ...resource } of items) (kinds[list] ??= []).push(resource);
  return kinds;
}

export interface KindsInput {
  ownerId: string;
  kinds: KindSpecs;
  specs: readonly CredentialSpec[];
  lists: readonly OtherKindList[];
  live: Partial<Record<OtherKindList, readonly LiveResource[]>>;
  stored: ReadonlyMap<string, string>;
  intents: readonly Intent[];
  delivered?: readonly DeliveryRecord[];
}

/**
 * What the credential plan is made from: the specs with `owner:` resolved (a service user this plan creates gives a
 * pending id apply fills in), and only the credentials' own intents and deliveries (the kinds' are theirs).
 */
export function credentialShare(input: KindsInput): { specs: CredentialSpec[]; intents: Intent[]; delivered?: DeliveryRecord[]; unresolved: Refusal[] } {
  const owners = diffServiceUsers(input.ownerId, input.kinds.service_users, input.live.service_users ?? []).owners;
  const specs = resolveOwners(input.specs, owners);
  const unresolved = specs
    .filter((spec) => spec.owner !== undefined && spec.owner_id === undefined)
    .map((spec): Refusal => ({ code: "OWNER_UNRESOLVED", name: spec.name, message: `"${spec.name}" names its owner as owner: ${spec.owner?.name ?? ""}, which this plan cannot resolve to a service user` }));
  return {
    specs,
    intents: input.intents.filter((intent) => !isKindName(intent.name)),
    ...(input.delivered ? { delivered: input.delivered.filter((record) => !isKindName(record.name)) } : {}),
    unresolved,
  };
}

export interface MergeOptions {
  now: number;
  maxDeletes: number;
  allowDeletes: boolean;
  rotateNow: ReadonlySet<string>;
  rotationGraceMs?: number;
  defaultRotateAfterMs?: number;
  expiryWarningMs?: number;
  /** Whether this driver can apply the other kinds (RunPorts.resources). */
  available: boolean;
}

/** The credential plan with the kinds' plan merged in: one plan, MAX_DELETES over every kind, the kinds' names as `list/name`. */
export function withKinds(plan: Plan, input: KindsInput, liveCredentials: readonly Credential[], options: MergeOptions, unresolved: readonly Refusal[]): Plan {
  const merged = { ...plan, refusals: [...plan.refusals, ...unresolved] };
  if (input.lists.length === 0) return merged;
  if (!options.available) return { ...merged, refusals: [...merged.refusals, { code: "KINDS_UNAVAILABLE", message: "the specs hold service users, API keys or SSH credentials, which this driver cannot apply" }] };
  const ending = new Set(plan.changes.flatMap((change) => (change.action === "delete" || change.action === "replace" ? [change.id] : [])));
  let kinds: KindsPlan = diffKinds({
    ownerId: input.ownerId,
    kinds: input.kinds,
    live: input.live,
    liveCredentials,
    credentialEnds: ending,
    stored: input.stored,
    intents: input.intents.filter((intent) => isKindName(intent.name)),
    now: options.now,
    rotateNow: options.rotateNow,
    ...(input.delivered ? { delivered: input.delivered.filter((record) => isKindName(record.name)) } : {}),
    ...(options.rotationGraceMs !== undefined ? { rotationGraceMs: options.rotationGraceMs } : {}),
    ...(options.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: options.defaultRotateAfterMs } : {}),
    ...(options.expiryWarningMs !== undefined ? { expiryWarningMs: options.expiryWarningMs } : {}),
  });
  kinds = maxDeletesAcrossKinds(plan, kinds, options.maxDeletes, options.allowDeletes, options.rotateNow);
  return {
    ...merged,
    changes: [...merged.changes, ...kinds.changes.map(named)],
    deliveries: [...merged.deliveries, ...kinds.deliveries],
    unchanged: [...merged.unchanged, ...kinds.unchanged],
    unmanaged: merged.unmanaged + kinds.unmanaged,
    foreign: merged.foreign + kinds.foreign,
    refusals: [...merged.refusals, ...kinds.refusals],
    notes: [...merged.notes, ...kinds.notes],
    staleIntents: [...merged.staleIntents, ...kinds.staleIntents],
  };
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
