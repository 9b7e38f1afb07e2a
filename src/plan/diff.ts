// The pure diff: validated specs + the live account + what the vault and the intent log hold → a plan.
import type { Credential, CredentialCreate, CredentialUpdate } from "../ngrok/types.js";
import { decodeMetadata, encodeMetadata, type Marker, type UserMetadata } from "../ownership/marker.js";
import type { CredentialSpec } from "../spec/types.js";
import type { Change, FieldChange, Intent, Plan, Refusal } from "./types.js";

export interface DiffInput {
  ownerId: string;
  specs: readonly CredentialSpec[];
  live: readonly Credential[];
  /** name → credential id of every token the vault holds. */
  stored: ReadonlyMap<string, string>;
  /** Open write-ahead intents (creates whose token was not confirmed stored). */
  intents: readonly Intent[];
}

interface Owned {
  credential: Credential;
  marker: Marker;
  user: UserMetadata;
}

export function diff(input: DiffInput): Plan {
  const { ownerId } = input;
  const changes: Change[] = [];
  const unchanged: string[] = [];
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const openNonces = new Map(input.intents.map((intent) => [intent.nonce, intent]));
  const seenNonces = new Set<string>();

  const ours = new Map<string, Owned[]>();
  const byId = new Map<string, Credential>();
  let unmanaged = 0;
  let foreign = 0;
  for (const credential of input.live) {
    byId.set(credential.id, credential);
    const decoded = decodeMetadata(credential.metadata);
    if (decoded.kind === "unmarked") {
      unmanaged++;
      continue;
    }
    if (decoded.marker.owner !== ownerId) {
      foreign++;
      continue;
    }
    const { marker } = decoded;
    // Its create was never confirmed: unless the vault holds its token after all, nobody has the token.
    // (When the vault does hold it, only closing the intent failed: the intent counts as stale.)
    if (marker.nonce !== undefined && openNonces.has(marker.nonce) && input.stored.get(marker.name) !== credential.id) {
      seenNonces.add(marker.nonce);
      changes.push({ action: "delete", name: marker.name, id: credential.id, reason: "orphan", intent: { name: marker.name, nonce: marker.nonce } });
      continue;
    }
    const list = ours.get(marker.name) ?? [];
    list.push({ credential, marker, user: decoded.user });
    ours.set(marker.name, list);
  }

  // One live credential per name: keep the one whose token we hold, else the oldest; the rest are duplicates.
  const current = new Map<string, Owned>();
  for (const [name, list] of ours) {
    const storedId = input.stored.get(name);
    const sorted = [...list].sort((a, b) => compareAge(a.credential, b.credential));
    const keep = sorted.find((owned) => owned.credential.id === storedId) ?? sorted[0];
    if (!keep) continue;
    current.set(name, keep);
    for (const owned of sorted) {
      if (owned !== keep) changes.push({ action: "delete", name, id: owned.credential.id, reason: "duplicate" });
    }
  }

  const wanted = new Set<string>();
  const withoutToken: string[] = [];
  for (const spec of input.specs) {
    wanted.add(spec.name);
    const existing = current.get(spec.name);
    if (spec.import && (!existing || existing.credential.id !== spec.import)) {
      const target = byId.get(spec.import);
      if (existing) {
        refusals.push({ code: "IMPORT_CONFLICT", name: spec.name, message: `"${spec.name}" is already managed as ${existing.credential.id}; remove \`import: ${spec.import}\` or the other credential` });
        continue;
      }
      if (!target) {
        refusals.push({ code: "IMPORT_NOT_FOUND", name: spec.name, message: `"${spec.name}" imports ${spec.import}, which does not exist on this account` });
        continue;
      }
      const decoded = decodeMetadata(target.metadata);
      if (decoded.kind === "managed") {
        const whose = decoded.marker.owner === ownerId ? `as "${decoded.marker.name}"` : "by another installation";
        refusals.push({ code: "IMPORT_CONFLICT", name: spec.name, message: `"${spec.name}" imports ${spec.import}, which is already managed ${whose}` });
        continue;
      }
      const fields = fieldChanges(spec, target, null, undefined);
      const body = updateBody(spec, fields, { owner: ownerId, name: spec.name, ...protect(spec) });
      body.metadata = encodeMetadata(spec.metadata, { owner: ownerId, name: spec.name, ...protect(spec) });
      changes.push({ action: "import", name: spec.name, id: target.id, fields, body });
      continue;
    }
    if (!existing) {
      changes.push({ action: "create", name: spec.name, spec, body: createBody(spec, ownerId) });
      continue;
    }
    const { credential, marker, user } = existing;
    const fields = fieldChanges(spec, credential, user, marker);
    const ownerChange = fields.find((field) => field.field === "owner_id");
    if (ownerChange) {
      changes.push({ action: "replace", name: spec.name, id: credential.id, reason: "owner_id changed", fields, spec, body: createBody(spec, ownerId) });
      continue;
    }
    if (fields.length === 0) {
      unchanged.push(spec.name);
      if (input.stored.get(spec.name) !== credential.id) {
        withoutToken.push(`"${spec.name}" (${credential.id})`);
      }
      continue;
    }
    const nextMarker: Marker = { owner: ownerId, name: spec.name, ...protect(spec) };
    if (marker.nonce !== undefined) nextMarker.nonce = marker.nonce;
    changes.push({ action: "update", name: spec.name, id: credential.id, fields, body: updateBody(spec, fields, nextMarker) });
  }

  for (const [name, owned] of current) {
    if (!wanted.has(name)) changes.push({ action: "delete", name, id: owned.credential.id, reason: "removed" });
  }

  if (withoutToken.length > 0) {
    // One note, however many: an account adopted wholesale must not flood the plan.
    const shown = withoutToken.slice(0, 10).join(", ");
    const more = withoutToken.length > 10 ? ` and ${withoutToken.length - 10} more` : "";
    const subject = withoutToken.length === 1 ? `${shown} is managed but its token is` : `${shown}${more} are managed but their tokens are`;
    notes.push(`${subject} not in the vault: whoever holds them keeps using them; rotate to have one stored`);
  }
  const staleIntents = input.intents.filter((intent) => !seenNonces.has(intent.nonce));
  return { ownerId, changes: order(changes), unchanged: unchanged.sort(), unmanaged, foreign, refusals, notes, staleIntents };
}

function protect(spec: CredentialSpec): { protect?: true } {
  return spec.prevent_destroy ? { protect: true } : {};
}

function createBody(spec: CredentialSpec, ownerId: string): CredentialCreate {
  const body: CredentialCreate = {
    description: spec.description,
    metadata: encodeMetadata(spec.metadata, { owner: ownerId, name: spec.name, ...protect(spec) }),
    acl: spec.acl,
  };
  if (spec.owner_id !== undefined) body.owner_id = spec.owner_id;
  return body;
}

/** The fields whose live value differs from the spec. `marker` is undefined for an unmanaged credential. */
function fieldChanges(spec: CredentialSpec, live: Credential, liveUser: UserMetadata, marker: Marker | undefined): FieldChange[] {
  const fields: FieldChange[] = [];
  const description = live.description ?? "";
  if (description !== spec.description) fields.push({ field: "description", before: description, after: spec.description });
  if (marker) {
    if (!sameJson(liveUser, spec.metadata)) fields.push({ field: "metadata", before: liveUser, after: spec.metadata });
    if ((marker.protect ?? false) !== spec.prevent_destroy) fields.push({ field: "prevent_destroy", before: marker.protect ?? false, after: spec.prevent_destroy });
  } else {
    // An unmanaged credential's metadata is opaque to us; importing replaces it with the spec's.
    const before = live.metadata ?? "";
    if (!(before === "" && spec.metadata === null)) fields.push({ field: "metadata", before, after: spec.metadata });
  }
  const liveAcl = normaliseAcl(live.acl);
  if (!sameList(liveAcl, spec.acl)) fields.push({ field: "acl", before: liveAcl, after: spec.acl });
  if (spec.owner_id !== undefined && spec.owner_id !== live.owner_id) fields.push({ field: "owner_id", before: live.owner_id, after: spec.owner_id });
  return fields;
}

function updateBody(spec: CredentialSpec, fields: readonly FieldChange[], marker: Marker): CredentialUpdate {
  const body: CredentialUpdate = {};
  for (const { field } of fields) {
    if (field === "description") body.description = spec.description;
    else if (field === "acl") body.acl = spec.acl;
    else if (field === "metadata" || field === "prevent_destroy") body.metadata = encodeMetadata(spec.metadata, marker);
  }
  return body;
}

export function normaliseAcl(acl: readonly string[] | undefined): string[] {
  return [...new Set(acl ?? [])].sort();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Deep equality of JSON values where mapping key order does not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.length === kb.length && ka.every((key) => Object.hasOwn(rb, key) && sameJson(ra[key], rb[key]));
}

function compareAge(a: Credential, b: Credential): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const ACTION_ORDER = { delete: 0, create: 1, import: 2, update: 3, replace: 4 } as const;

/** Stable, readable order: orphans and duplicates go first, then by action, then by name. */
function order(changes: Change[]): Change[] {
  const rank = (change: Change) => (change.action === "delete" && change.reason !== "removed" ? -1 : change.action === "delete" ? 5 : ACTION_ORDER[change.action]);
  return changes.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
