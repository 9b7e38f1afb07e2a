// The kinds' diff in slices, as the credentials' (diff-slice.ts): API keys and SSH credentials a slice of their live list at a time, service users whole.
import type { ApiKeySpec, KindSpecs, SshCredentialSpec } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import { API_KEYS, SSH_CREDENTIALS, type KindRecord } from "../kinds/records.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata } from "../ownership/marker.js";
import { diffSlice, finishDiff, heldCredentials, sliceContext, startDiff, type DiffProgress, type SliceContext } from "./diff-slice.js";
import { DEFAULT_EXPIRY_WARNING_MS, splitExpired, withExpiry } from "./expiry.js";
import { carried } from "./fields.js";
import type { KindChange, KindsPlan } from "./kind-changes.js";
import { asCredentialSpec, credentialView, keyOf, tag } from "./kind-views.js";
import { markerReader } from "./read-live.js";
import { preventDestroy } from "./safety-rails.js";
import { diffServiceUsers, type ServiceUsersDiff } from "./service-users-diff.js";
import type { Change, DeliveryRecord, Intent, Plan, Refusal, RotationSettings } from "./types.js";

/** The lists diffed in slices (service users are diffed whole: `owner:` resolves against all of them). */
export type SlicedList = "api_keys" | "ssh_credentials";
export const SLICED_LISTS: readonly SlicedList[] = ["api_keys", "ssh_credentials"];

export interface KindsContextInput extends RotationSettings {
  ownerId: string;
  kinds: KindSpecs;
  /** The service users listed (empty when not listed). */
  serviceUsers: readonly LiveResource[];
  /** The sliced lists that were listed: a list neither listed nor used by the specs has no part. */
  listed: ReadonlySet<SlicedList>;
  /** Vault names (`api_keys/NAME`) → id of every secret the vault holds (credentials' too: they are skipped). */
  stored: ReadonlyMap<string, string>;
  /** Open intents of the kinds, by vault name. */
  intents: readonly Intent[];
  delivered?: readonly DeliveryRecord[];
  expiryWarningMs?: number;
}

/** One sliced kind: its specs as the credential diff reads them, and what its slices are judged against. */
export interface KindPart {
  kind: KindRecord;
  list: SlicedList;
  specs: readonly (ApiKeySpec | SshCredentialSpec)[];
  expired: CredentialSpec[];
  context: SliceContext;
  /** SSH credentials: each current spec's public key as written (compared as type and key data only when the texts differ). */
  keys: Map<string, string> | null;
  delivered?: DeliveryRecord[];
}

export interface KindsContext {
  ownerId: string;
  now: number;
  expiryWarningMs: number;
  users: ServiceUsersDiff;
  parts: KindPart[];
}

/** A sliced kind's progress (persisted between invocations): the credential diff's, and the SSH credentials whose key differs from their spec's. */
export interface KindPartProgress {
  list: SlicedList;
  diff: DiffProgress;
  rekeyed: { name: string; credential: Credential }[];
}

export function kindsContext(input: KindsContextInput): KindsContext {
  const users = diffServiceUsers(input.ownerId, input.kinds.service_users, input.serviceUsers);
  const endingOwners = new Set(users.changes.flatMap((change) => (change.action === "delete" ? [change.id] : [])));
  // The vault split by kind in one pass: each part sees its own names, without the prefix.
  const stored = new Map<string, Map<string, string>>(SLICED_LISTS.map((list) => [`${list}/`, new Map()]));
  for (const [name, id] of input.stored) {
    const slash = name.indexOf("/");
    if (slash < 0) continue;
    for (const [prefix, names] of stored) if (slash === prefix.length - 1 && name.startsWith(prefix)) names.set(name.slice(slash + 1), id);
  }
  const parts: KindPart[] = [];
  for (const kind of [API_KEYS, SSH_CREDENTIALS]) {
    const list = kind.list as SlicedList;
    const specs: readonly (ApiKeySpec | SshCredentialSpec)[] = input.kinds[list];
    if (specs.length === 0 && !input.listed.has(list)) continue;
    const prefix = `${list}/`;
    const { current, expired } = splitExpired(
      specs.map((spec) => asCredentialSpec(spec, users.owners)),
      input.now,
    );
    const context = sliceContext({
      ownerId: input.ownerId,
      specs: current,
      stored: stored.get(prefix) as Map<string, string>,
      intents: strip(input.intents, prefix),
      now: input.now,
      ...(input.rotationGraceMs !== undefined ? { rotationGraceMs: input.rotationGraceMs } : {}),
      // Only a kind with a secret rotates: a new SSH credential would need a new key pair, which only its holder makes.
      ...(kind.secret !== null && input.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: input.defaultRotateAfterMs } : {}),
      rotateNow: new Set(strip([...(input.rotateNow ?? [])].map((name) => ({ name })), prefix).map((item) => item.name)),
      endingOwners,
    });
    let keys: KindPart["keys"] = null;
    if (kind === SSH_CREDENTIALS) {
      keys = new Map();
      for (const spec of specs as readonly SshCredentialSpec[]) if (context.index.has(spec.name)) keys.set(spec.name, spec.public_key);
    }
    parts.push({ kind, list, specs, expired, context, keys, ...(input.delivered ? { delivered: strip(input.delivered, prefix) } : {}) });
  }
  return { ownerId: input.ownerId, now: input.now, expiryWarningMs: input.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS, users, parts };
}

export function startKinds(context: KindsContext): KindPartProgress[] {
  return context.parts.map((part) => ({ list: part.list, diff: startDiff(part.context.specs.length), rekeyed: [] }));
}

/** Diffs `slice` (the part's live items from progress.diff.offset on) and returns the part's progress after it. */
export function diffKindSlice(part: KindPart, progress: KindPartProgress, slice: readonly LiveResource[]): KindPartProgress {
  const views = slice.map(credentialView);
  if (part.keys === null) return { list: part.list, diff: diffSlice(progress.diff, views, part.context), rekeyed: progress.rekeyed };
  let rekeyed = progress.rekeyed;
  // An SSH credential has no secret for the vault to hold: the oldest of a name in the slice counts as held, so no
  // keeper is kept whole for a duplicate that may win later, and none is noted as "not in the vault".
  const held = new Map<string, LiveResource>();
  // The diff's own reader: an unchanged credential's metadata is recognised as the string its spec gives, not parsed.
  const { context } = part;
  const read = markerReader(context.ownerId, context.now, context.specs, (name) => context.index.get(name));
  for (let i = 0; i < slice.length; i++) {
    const item = slice[i] as LiveResource;
    if (item.metadata === undefined) continue;
    const marked = read(views[i] as Credential);
    if (marked === null || marked.marker.owner !== context.ownerId || marked.marker.retire !== undefined) continue;
    const { name } = marked.marker;
    const first = held.get(name);
    if (first === undefined || older(item, first)) held.set(name, item);
    // ngrok cannot change an SSH credential's key: ours whose key is not its spec's is replaced (found here, its view kept).
    const wanted = part.keys.get(name);
    const live = item.public_key ?? "";
    if (wanted === undefined || live === wanted || keyOf(live) === keyOf(wanted)) continue;
    if (rekeyed === progress.rekeyed) rekeyed = [...rekeyed];
    rekeyed.push({ name, credential: views[i] as Credential });
  }
  const stored = new Map<string, string>();
  for (const [name, item] of held) stored.set(name, item.id);
  return { list: part.list, diff: diffSlice(progress.diff, views, { ...part.context, stored }), rekeyed };
}

export interface FinishKindsInput {
  /** Live credentials the credential plan holds (those owned by a service user this plan deletes among them), and the ids it ends. */
  liveCredentials?: readonly Credential[];
  credentialEnds?: ReadonlySet<string>;
}

/** The kinds' plan from every part's progress after its last slice. */
export function finishKinds(context: KindsContext, progress: readonly KindPartProgress[], input: FinishKindsInput = {}): KindsPlan {
  const { users } = context;
  const byList = new Map<SlicedList, KindsPlan>();
  const held: Credential[] = [...(input.liveCredentials ?? [])];
  for (const part of context.parts) {
    const done = progress.find((p) => p.list === part.list) ?? { list: part.list, diff: startDiff(part.context.specs.length), rekeyed: [] };
    const partHeld = heldCredentials(done.diff);
    for (const credential of partHeld) held.push(credential);
    byList.set(part.list, finishPart(context, part, done, partHeld));
  }
  const apiKeys = byList.get("api_keys");
  const ssh = byList.get("ssh_credentials");
  const sliced = [apiKeys, ssh].filter((plan): plan is KindsPlan => plan !== undefined);
  const changes: KindChange[] = [...users.changes];
  for (const plan of sliced) for (const change of plan.changes) changes.push(change);
  // Sorted without a sort: each part's names are (assemble sorts them) and the prefixes go api_keys/ < service_users/ < ssh_credentials/.
  const unchanged = [...(apiKeys?.unchanged ?? []), ...users.unchanged, ...(ssh?.unchanged ?? [])];
  if (!isSorted(unchanged)) unchanged.sort();
  const plan: KindsPlan = {
    changes,
    unchanged,
    unmanaged: users.unmanaged + sum(sliced, (p) => p.unmanaged),
    foreign: users.foreign + sum(sliced, (p) => p.foreign),
    refusals: [...users.refusals, ...sliced.flatMap((p) => p.refusals)],
    notes: sliced.flatMap((p) => p.notes),
    staleIntents: sliced.flatMap((p) => p.staleIntents),
    deliveries: sliced.flatMap((p) => p.deliveries),
  };
  plan.refusals.push(...ownersInUse(changes, held, input.credentialEnds));
  return plan;
}

/** Whether a listing held one of our marked resources (the sliced parts' progress, and the service users'). */
export function oursListed(context: KindsContext, progress: readonly KindPartProgress[], serviceUsersListed: number): Set<string> {
  const ours = new Set<string>();
  if (serviceUsersListed - context.users.unmanaged - context.users.foreign > 0) ours.add("service_users");
  for (const part of progress) if (part.diff.offset - part.diff.unmanaged - part.diff.foreign > 0) ours.add(part.list);
  return ours;
}

function finishPart(context: KindsContext, part: KindPart, done: KindPartProgress, held: readonly Credential[]): KindsPlan {
  const { kind } = part;
  const prefix = `${kind.list}/`;
  let plan: Plan = finishDiff(done.diff, { ownerId: context.ownerId, context: part.context, ...(part.delivered ? { delivered: part.delivered } : {}) });
  plan = withExpiry(plan, part.expired, part.context.specs, context.now, context.expiryWarningMs, held);
  if (done.rekeyed.length > 0) plan = rekey(plan, part, done.rekeyed, context);
  // After the key replacements: prevent_destroy refuses those too (their views are kept for the live marker's protect).
  plan = preventDestroy(done.rekeyed.length > 0 ? [...held, ...done.rekeyed.map((r) => r.credential)] : held, { stored: part.context.stored, rotateNow: part.context.rotateNow ?? new Set() })(plan);
  const bySpec = new Map<string, ApiKeySpec | SshCredentialSpec>();
  for (const spec of part.specs) bySpec.set(spec.name, spec);
  return {
    changes: plan.changes.map((change) => tag(kind, change as Change, bySpec.get(change.name))),
    unchanged: plan.unchanged.map((name) => prefix + name),
    unmanaged: plan.unmanaged,
    foreign: plan.foreign,
    refusals: plan.refusals.map((refusal) => (refusal.name === undefined ? refusal : { ...refusal, name: `${prefix}${refusal.name}` })),
    notes: plan.notes.map((note) => `${kind.list}: ${note}`),
    staleIntents: plan.staleIntents.map((intent) => ({ ...intent, name: `${prefix}${intent.name}` })),
    deliveries: plan.deliveries.map((delivery) => ({ ...delivery, name: `${prefix}${delivery.name}` })),
  };
}

/** The SSH credentials found with another key: an update becomes a replace, and so does an unchanged keeper. */
function rekey(plan: Plan, part: KindPart, rekeyed: KindPartProgress["rekeyed"], context: KindsContext): Plan {
  const byId = new Map(rekeyed.map((r) => [r.credential.id, r]));
  const deleted = new Set(plan.changes.flatMap((change) => (change.action === "delete" ? [change.id] : [])));
  const byName = new Map<string, string>();
  for (const r of rekeyed) if (!deleted.has(r.credential.id)) byName.set(r.name, r.credential.id);
  const replaced = (name: string, id: string): Change | null => {
    const at = part.context.index.get(name);
    const spec = at === undefined ? undefined : part.context.specs[at];
    if (spec === undefined) return null;
    const metadata = encodeMetadata(spec.metadata, { owner: context.ownerId, name, ...carried(spec, context.now) });
    return { action: "replace", name, id, reason: "public_key changed", fields: [], spec, body: { description: spec.description, metadata, acl: spec.acl, ...(spec.owner_id !== undefined ? { owner_id: spec.owner_id } : {}) } };
  };
  const changes = plan.changes.map((change) => (change.action === "update" && byId.has(change.id) ? (replaced(change.name, change.id) ?? change) : change));
  const unchanged: string[] = [];
  for (const name of plan.unchanged) {
    const id = byName.get(name);
    const change = id === undefined ? null : replaced(name, id);
    if (change) changes.push(change);
    else unchanged.push(name);
  }
  return { ...plan, changes, unchanged };
}

/** A service user the plan deletes while it still owns a live resource the plan keeps: refused (ngrok would refuse too). */
function ownersInUse(changes: readonly KindChange[], held: readonly Credential[], credentialEnds: ReadonlySet<string> | undefined): Refusal[] {
  const deleting = changes.filter((change) => change.kind === "service_user" && change.action === "delete");
  if (deleting.length === 0) return [];
  const ending = new Set(credentialEnds ?? []);
  for (const change of changes) if (change.kind !== "service_user" && (change.action === "delete" || change.action === "replace")) ending.add(change.id);
  const owned = new Map<string, string[]>();
  for (const item of held) {
    if (item.owner_id === undefined || item.owner_id === "" || ending.has(item.id)) continue;
    const ids = owned.get(item.owner_id);
    if (ids === undefined) owned.set(item.owner_id, [item.id]);
    else ids.push(item.id);
  }
  const refusals: Refusal[] = [];
  for (const change of deleting) {
    if (change.action !== "delete") continue;
    const ids = owned.get(change.id);
    if (ids === undefined) continue;
    const shown = ids.length > 5 ? `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more` : ids.join(", ");
    refusals.push({ code: "OWNER_IN_USE", name: `service_users/${change.name}`, message: `service user "${change.name}" (${change.id}) still owns ${ids.length} live resource${ids.length === 1 ? "" : "s"} that the specs keep (${shown}): move them to another owner or remove them in the same commit` });
  }
  return refusals;
}

function strip<T extends { name: string }>(items: readonly T[], prefix: string): T[] {
  const out: T[] = [];
  for (const item of items) if (item.name.startsWith(prefix)) out.push({ ...item, name: item.name.slice(prefix.length) });
  return out;
}

function older(a: LiveResource, b: LiveResource): boolean {
  return a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id);
}

function isSorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) > (names[i] as string)) return false;
  return true;
}

function sum(plans: readonly KindsPlan[], of: (plan: KindsPlan) => number): number {
  let total = 0;
  for (const plan of plans) total += of(plan);
  return total;
}
