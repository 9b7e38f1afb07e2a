// The diff of every kind beside credentials, run per kind: service users their own way, API keys and SSH credentials through the credential diff.
import type { ApiKeySpec, KindSpecs, OtherKindList, SshCredentialSpec } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import { API_KEYS, SSH_CREDENTIALS, vaultName, type KindRecord } from "../kinds/records.js";
import type { LiveResource, ResourceBody } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata } from "../ownership/marker.js";
import { diff } from "./diff.js";
import { carried } from "./fields.js";
import { DEFAULT_EXPIRY_WARNING_MS, splitExpired, withExpiry } from "./expiry.js";
import type { KindChange, KindsPlan, ResourceChange } from "./kind-changes.js";
import { maxDeletes, preventDestroy } from "./safety-rails.js";
import { diffServiceUsers, type OwnerTarget } from "./service-users-diff.js";
import type { Change, DeliveryRecord, Intent, Plan, Refusal } from "./types.js";

export interface KindsDiffInput {
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
  now: number;
  rotationGraceMs?: number;
  defaultRotateAfterMs?: number;
  /** Vault names to rotate now. */
  rotateNow?: ReadonlySet<string>;
  delivered?: readonly DeliveryRecord[];
  expiryWarningMs?: number;
}

/** Marks an owner_id a service user created by this plan will have: never equal to a live id. */
const PENDING = "pending:";

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
  const users = diffServiceUsers(input.ownerId, input.kinds.service_users, input.live.service_users ?? []);
  const plan: KindsPlan = { changes: [...users.changes], unchanged: [...users.unchanged], unmanaged: users.unmanaged, foreign: users.foreign, refusals: [...users.refusals], notes: [], staleIntents: [], deliveries: [] };
  for (const kind of [API_KEYS, SSH_CREDENTIALS]) {
    const list = kind.list as "api_keys" | "ssh_credentials";
    const specs: readonly (ApiKeySpec | SshCredentialSpec)[] = input.kinds[list];
    if (specs.length === 0 && input.live[list] === undefined) continue;
    const part = diffResources(kind, resolveOwners(specs, users.owners), input.live[list] ?? [], input);
    for (const change of part.changes) plan.changes.push(change);
    plan.unchanged.push(...part.unchanged);
    plan.unmanaged += part.unmanaged;
    plan.foreign += part.foreign;
    plan.refusals.push(...part.refusals);
    plan.notes.push(...part.notes);
    plan.staleIntents.push(...part.staleIntents);
    plan.deliveries.push(...part.deliveries);
  }
  plan.refusals.push(...ownersInUse(plan.changes, input));
  plan.unchanged.sort();
  return plan;
}

/** A service user the plan deletes while it still owns a live resource the plan keeps: refused (ngrok would refuse too). */
function ownersInUse(changes: readonly KindChange[], input: KindsDiffInput): Refusal[] {
  const ending = new Set(input.credentialEnds ?? []);
  for (const change of changes) if (change.kind !== "service_user" && (change.action === "delete" || change.action === "replace")) ending.add(change.id);
  const owned = new Map<string, string[]>();
  const live = [...(input.liveCredentials ?? []), ...(input.live.api_keys ?? []), ...(input.live.ssh_credentials ?? [])];
  for (const item of live) {
    if (item.owner_id === undefined || ending.has(item.id)) continue;
    owned.set(item.owner_id, [...(owned.get(item.owner_id) ?? []), item.id]);
  }
  const refusals: Refusal[] = [];
  for (const change of changes) {
    if (change.kind !== "service_user" || change.action !== "delete") continue;
    const ids = owned.get(change.id);
    if (ids === undefined) continue;
    const shown = ids.length > 5 ? `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more` : ids.join(", ");
    refusals.push({ code: "OWNER_IN_USE", name: `service_users/${change.name}`, message: `service user "${change.name}" (${change.id}) still owns ${ids.length} live resource${ids.length === 1 ? "" : "s"} that the specs keep (${shown}): move them to another owner or remove them in the same commit` });
  }
  return refusals;
}

/** API keys or SSH credentials through the credential diff, its expiry and prevent_destroy; names come back as vault names. */
function diffResources(kind: KindRecord, specs: readonly (ApiKeySpec | SshCredentialSpec)[], live: readonly LiveResource[], input: KindsDiffInput): KindsPlan {
  const prefix = `${kind.list}/`;
  const strip = <T extends { name: string }>(items: readonly T[]) => items.filter((item) => item.name.startsWith(prefix)).map((item) => ({ ...item, name: item.name.slice(prefix.length) }));
  const stored = new Map([...input.stored].filter(([name]) => name.startsWith(prefix)).map(([name, id]) => [name.slice(prefix.length), id] as const));
  const asSpecs = specs.map((spec): CredentialSpec => ("public_key" in spec ? { ...withoutKey(spec), deliver: [] } : { ...spec, acl: [] }));
  const asLive = live.map(credentialView);
  const rotateNow = new Set([...(input.rotateNow ?? [])].filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length)));
  const { current, expired } = splitExpired(asSpecs, input.now);
  let plan: Plan = diff({
    ownerId: input.ownerId,
    specs: current,
    live: asLive,
    stored,
    intents: strip(input.intents),
    now: input.now,
    ...(input.rotationGraceMs !== undefined ? { rotationGraceMs: input.rotationGraceMs } : {}),
    // Only a kind with a secret rotates: a new SSH credential would need a new key pair, which only its holder makes.
    ...(kind.secret !== null && input.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: input.defaultRotateAfterMs } : {}),
    rotateNow,
    ...(input.delivered ? { delivered: strip(input.delivered) } : {}),
  });
  plan = withExpiry(plan, expired, current, input.now, input.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS, asLive);
  plan = preventDestroy(asLive, { stored, rotateNow })(plan);
  if (kind === SSH_CREDENTIALS) plan = replaceChangedKeys(plan, specs as readonly SshCredentialSpec[], live, current, input);
  const bySpec = new Map(specs.map((spec) => [spec.name, spec]));
  return {
    changes: plan.changes.map((change) => tag(kind, change as Change, bySpec.get(change.name))),
    unchanged: plan.unchanged.map((name) => `${prefix}${name}`),
    unmanaged: plan.unmanaged,
    foreign: plan.foreign,
    refusals: plan.refusals.map((refusal) => (refusal.name === undefined ? refusal : { ...refusal, name: `${prefix}${refusal.name}` })),
    notes: plan.notes.map((note) => `${kind.list}: ${note}`),
    staleIntents: plan.staleIntents.map((intent) => ({ ...intent, name: `${prefix}${intent.name}` })),
    deliveries: plan.deliveries.map((delivery) => ({ ...delivery, name: `${prefix}${delivery.name}` })),
  };
}

/** ngrok cannot change an SSH credential's key: a managed one whose key differs from its spec's is replaced. */
function replaceChangedKeys(plan: Plan, specs: readonly SshCredentialSpec[], live: readonly LiveResource[], current: readonly CredentialSpec[], input: KindsDiffInput): Plan {
  const wanted = new Map(specs.map((spec) => [spec.name, spec]));
  const currentByName = new Map(current.map((spec) => [spec.name, spec]));
  const liveById = new Map(live.map((item) => [item.id, item]));
  const byName = new Map<string, LiveResource>();
  for (const change of plan.changes) if (change.action === "update") byName.set(change.name, liveById.get(change.id) as LiveResource);
  const replaced = (name: string, id: string): Change | null => {
    const spec = wanted.get(name);
    const item = liveById.get(id);
    const asSpec = currentByName.get(name);
    if (!spec || !item || !asSpec || sameKey(item.public_key ?? "", spec.public_key)) return null;
    const metadata = encodeMetadata(asSpec.metadata, { owner: input.ownerId, name, ...carried(asSpec, input.now) });
    return { action: "replace", name, id, reason: "public_key changed", fields: [], spec: asSpec, body: { description: asSpec.description, metadata, acl: asSpec.acl, ...(asSpec.owner_id !== undefined ? { owner_id: asSpec.owner_id } : {}) } };
  };
  const changes = plan.changes.map((change) => (change.action === "update" ? (replaced(change.name, change.id) ?? change) : change));
  const unchanged: string[] = [];
  // The unchanged are managed and alone under their name: one pass over the live list finds them all.
  const keep = new Set(plan.unchanged);
  const liveByName = new Map<string, LiveResource>();
  for (const item of live) {
    const name = item.metadata === undefined ? null : markerName(item);
    if (name !== null && keep.has(name)) liveByName.set(name, item);
  }
  for (const name of plan.unchanged) {
    const item = liveByName.get(name);
    const change = item ? replaced(name, item.id) : null;
    if (change) changes.push(change);
    else unchanged.push(name);
  }
  return { ...plan, changes, unchanged };
}

/** Keys are compared by type and key data: a comment is not part of the key. */
function sameKey(a: string, b: string): boolean {
  return a.trim().split(/\s+/).slice(0, 2).join(" ") === b.trim().split(/\s+/).slice(0, 2).join(" ");
}

function markerName(item: LiveResource): string | null {
  try {
    const marker = (JSON.parse(item.metadata ?? "") as Record<string, { name?: unknown }>)["ngrok-gitops"];
    return typeof marker?.name === "string" ? marker.name : null;
  } catch {
    return null;
  }
}

/** A credential change as the kind sends it: its wire body (fields the kind has, a pending owner left to apply). */
function tag(kind: KindRecord, change: Change, spec: ApiKeySpec | SshCredentialSpec | undefined): ResourceChange {
  const tagged: ResourceChange = { ...change, kind: kind.id as ResourceChange["kind"] };
  if (change.action === "create" || change.action === "replace" || change.action === "rotate") {
    const wire: ResourceBody = {};
    for (const [key, value] of Object.entries(change.body)) if (kind.createFields.includes(key) && value !== undefined) (wire as Record<string, unknown>)[key] = value;
    if (spec && "public_key" in spec) wire.public_key = spec.public_key;
    if (typeof wire.owner_id === "string" && wire.owner_id.startsWith(PENDING)) {
      tagged.owner = wire.owner_id.slice(PENDING.length);
      delete wire.owner_id;
    }
    tagged.wire = wire;
  } else if (change.action === "update" || change.action === "import") {
    const wire: ResourceBody = {};
    for (const [key, value] of Object.entries(change.body)) if (kind.updateFields.includes(key) && value !== undefined) (wire as Record<string, unknown>)[key] = value;
    tagged.wire = wire;
  }
  return tagged;
}

function withoutKey(spec: SshCredentialSpec): Omit<SshCredentialSpec, "public_key"> {
  const { public_key: _key, ...rest } = spec;
  return rest;
}

/** A live API key or SSH credential as the credential diff reads it. */
export function credentialView(item: LiveResource): Credential {
  const out: Credential = { id: item.id, uri: "", created_at: item.created_at, token: null, acl: item.acl ?? [], owner_id: item.owner_id ?? "" };
  if (item.description !== undefined) out.description = item.description;
  if (item.metadata !== undefined) out.metadata = item.metadata;
  return out;
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
