// API keys and SSH credentials as the credential diff reads them (specs and live items), and its changes as each kind sends them.
import type { ApiKeySpec, SshCredentialSpec } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { KindRecord } from "../kinds/records.js";
import type { LiveResource, ResourceBody } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { ResourceChange } from "./kind-changes.js";
import type { OwnerTarget } from "./service-users-diff.js";
import type { Change } from "./types.js";

/** Marks an owner_id a service user created by this plan will have: never equal to a live id. */
export const PENDING = "pending:";

/** An API key or SSH credential spec as the credential diff reads it, its `owner:` resolved (one object, no copies of copies). */
export function asCredentialSpec(spec: ApiKeySpec | SshCredentialSpec, owners: ReadonlyMap<string, OwnerTarget>): CredentialSpec {
  const out: CredentialSpec = { name: spec.name, description: spec.description, metadata: spec.metadata, acl: "acl" in spec ? spec.acl : [], prevent_destroy: spec.prevent_destroy, deliver: "deliver" in spec ? spec.deliver : [], source: spec.source };
  const target = spec.owner === undefined ? undefined : owners.get(spec.owner.name);
  const ownerId = target === undefined ? spec.owner_id : "id" in target ? target.id : `${PENDING}${target.pending}`;
  if (ownerId !== undefined) out.owner_id = ownerId;
  if (spec.owner !== undefined) out.owner = spec.owner;
  if (spec.import !== undefined) out.import = spec.import;
  if ("rotate_after_ms" in spec && spec.rotate_after_ms !== undefined) out.rotate_after_ms = spec.rotate_after_ms;
  if (spec.expires !== undefined) out.expires = spec.expires;
  if (spec.expires_ms !== undefined) out.expires_ms = spec.expires_ms;
  return out;
}

/** A live API key or SSH credential as the credential diff reads it. */
export function credentialView(item: LiveResource): Credential {
  const out: Credential = { id: item.id, uri: "", created_at: item.created_at, token: null, acl: item.acl ?? [], owner_id: item.owner_id ?? "" };
  if (item.description !== undefined) out.description = item.description;
  if (item.metadata !== undefined) out.metadata = item.metadata;
  return out;
}

/** A key as compared: type and key data (a comment is not part of the key). */
export function keyOf(text: string): string {
  return text.trim().split(/\s+/, 2).join(" ");
}

/** A credential change as the kind sends it: its wire body (fields the kind has, a pending owner left to apply). */
export function tag(kind: KindRecord, change: Change, spec: ApiKeySpec | SshCredentialSpec | undefined): ResourceChange {
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
