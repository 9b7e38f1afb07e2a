// The diff of service users: their marker is in their name, their fields are active and roles; no secret, no intent.
import type { ServiceUserSpec } from "../desired/kind-types.js";
import type { LiveResource } from "../ngrok/resources.js";
import { decodeNameMarker, encodeNameMarker } from "../ownership/name-marker.js";
import type { ServiceUserChange } from "./kind-changes.js";
import type { FieldChange, Refusal } from "./types.js";

/** Where an `owner:` points after this plan: a live id, or a service user this plan creates. */
export type OwnerTarget = { id: string } | { pending: string };

export interface ServiceUsersDiff {
  changes: ServiceUserChange[];
  unchanged: string[];
  unmanaged: number;
  foreign: number;
  refusals: Refusal[];
  /** Spec name (and, for users we do not manage, name on the account) → where it points after the plan. */
  owners: Map<string, OwnerTarget>;
}

export function diffServiceUsers(ownerId: string, specs: readonly ServiceUserSpec[], live: readonly LiveResource[]): ServiceUsersDiff {
  const changes: ServiceUserChange[] = [];
  const unchanged: string[] = [];
  const refusals: Refusal[] = [];
  const owners = new Map<string, OwnerTarget>();
  const ours = new Map<string, LiveResource[]>();
  const byId = new Map(live.map((user) => [user.id, user]));
  let unmanaged = 0;
  let foreign = 0;
  for (const user of live) {
    const marker = decodeNameMarker(user.name ?? "");
    if (marker === null) {
      unmanaged++;
      // An owner: may name a service user we do not manage by its name on the account.
      if (user.name !== undefined && !owners.has(user.name)) owners.set(user.name, { id: user.id });
    } else if (marker.owner !== ownerId) foreign++;
    else ours.set(marker.name, [...(ours.get(marker.name) ?? []), user]);
  }
  // One per name: the oldest stays, the rest are duplicates (a create whose answer was lost, then made again).
  const current = new Map<string, LiveResource>();
  for (const [name, users] of ours) {
    const [keep, ...rest] = [...users].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    current.set(name, keep as LiveResource);
    for (const user of rest) changes.push({ kind: "service_user", action: "delete", name, id: user.id, reason: "duplicate" });
  }
  const wanted = new Set<string>();
  for (const spec of specs) {
    wanted.add(spec.name);
    const existing = current.get(spec.name);
    if (spec.import !== undefined && existing?.id !== spec.import) {
      const target = byId.get(spec.import);
      const detail = existing ? `the name is already managed as ${existing.id}` : !target ? `${spec.import} does not exist on this account` : decodeNameMarker(target.name ?? "") !== null ? `${spec.import} is already managed` : null;
      if (detail !== null || target === undefined) {
        refusals.push({ code: "IMPORT_REFUSED", name: `service_users/${spec.name}`, message: `service user "${spec.name}" cannot import ${spec.import}: only an unmanaged service user of this account can be imported, by a name not yet managed (the operator's plan says why)`, ...(detail ? { detail } : {}) });
        continue;
      }
      const fields = fieldChanges(spec, target);
      changes.push({ kind: "service_user", action: "import", name: spec.name, id: target.id, fields, body: { ...bodyOf(spec, fields), name: encodeNameMarker(ownerId, spec.name) } });
      owners.set(spec.name, { id: target.id });
      continue;
    }
    if (!existing) {
      changes.push({ kind: "service_user", action: "create", name: spec.name, spec, body: { name: encodeNameMarker(ownerId, spec.name), active: spec.active, ...(spec.roles.length > 0 ? { roles: spec.roles } : {}) } });
      owners.set(spec.name, { pending: spec.name });
      continue;
    }
    owners.set(spec.name, { id: existing.id });
    const fields = fieldChanges(spec, existing);
    if (fields.length === 0) unchanged.push(`service_users/${spec.name}`);
    else changes.push({ kind: "service_user", action: "update", name: spec.name, id: existing.id, fields, body: bodyOf(spec, fields) });
  }
  for (const [name, user] of current) if (!wanted.has(name)) changes.push({ kind: "service_user", action: "delete", name, id: user.id, reason: "removed" });
  return { changes, unchanged, unmanaged, foreign, refusals, owners };
}

function fieldChanges(spec: ServiceUserSpec, live: LiveResource): FieldChange[] {
  const fields: FieldChange[] = [];
  const active = live.active ?? true;
  if (active !== spec.active) fields.push({ field: "active", before: active, after: spec.active });
  const roles = [...new Set(live.roles ?? [])].sort();
  if (roles.join("\n") !== spec.roles.join("\n")) fields.push({ field: "roles", before: roles, after: spec.roles });
  return fields;
}

function bodyOf(spec: ServiceUserSpec, fields: readonly FieldChange[]) {
  const body: { active?: boolean; roles?: string[] } = {};
  for (const { field } of fields) {
    if (field === "active") body.active = spec.active;
    if (field === "roles") body.roles = spec.roles;
  }
  return body;
}
