// The fields of a live credential that differ from its spec, and the PATCH body that sends only those.
import { formatInstant } from "../desired/expires.js";
import type { CredentialSpec } from "../desired/types.js";
import type { Credential, CredentialUpdate } from "../ngrok/types.js";
import { encodeMetadata, sameUser, userOf, type Marker } from "../ownership/marker.js";
import { markerExpires, type LiveMarker } from "./read-live.js";

export { sameJson } from "../ownership/marker.js";
import type { FieldChange } from "./types.js";

/**
 * What a spec puts in the marker beside owner and name: `prevent_destroy`, and `expires` while it is still ahead
 * (so the apply that writes it is the proof that the date was in the future when its commit was applied).
 */
export function carried(spec: CredentialSpec, now: number): Pick<Marker, "protect" | "expires"> {
  const out: Pick<Marker, "protect" | "expires"> = {};
  if (spec.prevent_destroy) out.protect = true;
  const at = markerExpires(spec, now);
  if (at !== undefined) out.expires = at;
  return out;
}

/**
 * The fields whose live value differs from the spec. `read` (the live marker) is undefined for an unmanaged
 * credential; a managed one's user metadata is compared in place and copied only when it differs, and not at all
 * when its metadata is exactly the spec's (read.managed null).
 */
export function fieldChanges(spec: CredentialSpec, live: Credential, read: LiveMarker | undefined, now: number): FieldChange[] {
  const fields: FieldChange[] = [];
  const description = live.description ?? "";
  if (description !== spec.description) fields.push({ field: "description", before: description, after: spec.description });
  if (read?.managed) {
    const { marker, managed } = read;
    if (!sameUser(managed, spec.metadata)) fields.push({ field: "metadata", before: userOf(managed), after: spec.metadata });
    if ((marker.protect ?? false) !== spec.prevent_destroy) fields.push({ field: "prevent_destroy", before: marker.protect ?? false, after: spec.prevent_destroy });
    const expires = markerExpires(spec, now);
    if (marker.expires !== expires) fields.push({ field: "expires", before: shownInstant(marker.expires), after: shownInstant(expires) });
  } else if (read === undefined) {
    // An unmanaged credential's metadata is opaque to us; importing replaces it with the spec's.
    const before = live.metadata ?? "";
    if (!(before === "" && spec.metadata === null)) fields.push({ field: "metadata", before, after: spec.metadata });
  }
  if (!sameAcl(live.acl, spec.acl)) fields.push({ field: "acl", before: normaliseAcl(live.acl), after: spec.acl });
  if (spec.owner_id !== undefined && spec.owner_id !== live.owner_id) fields.push({ field: "owner_id", before: live.owner_id, after: spec.owner_id });
  return fields;
}

/** Whether fieldChanges finds nothing outside the marker (description, acl, owner_id): the check of an unchanged credential, allocating nothing. */
export function sameOutsideMarker(spec: CredentialSpec, live: Credential): boolean {
  return (live.description ?? "") === spec.description && sameAcl(live.acl, spec.acl) && (spec.owner_id === undefined || spec.owner_id === live.owner_id);
}

export function updateBody(spec: CredentialSpec, fields: readonly FieldChange[], marker: Marker): CredentialUpdate {
  const body: CredentialUpdate = {};
  for (const { field } of fields) {
    if (field === "description") body.description = spec.description;
    else if (field === "acl") body.acl = spec.acl;
    else if (field === "metadata" || field === "prevent_destroy" || field === "expires") body.metadata = encodeMetadata(spec.metadata, marker);
  }
  return body;
}

export function normaliseAcl(acl: readonly string[] | undefined): string[] {
  if (!acl || acl.length === 0) return [];
  // Already sorted without repeats (what we send, so what ngrok mostly returns): nothing to do.
  let ordered = true;
  for (let i = 1; i < acl.length && ordered; i++) ordered = (acl[i - 1] as string) < (acl[i] as string);
  return ordered ? (acl as string[]) : [...new Set(acl)].sort();
}

/**
 * sameList(normaliseAcl(live), spec), without building the normalised list: ngrok may return the rules in any order,
 * and most credentials' rules are the spec's. Exact for short lists (a rule list of a credential is a few rules).
 */
function sameAcl(live: readonly string[] | undefined, spec: readonly string[]): boolean {
  if (!live || live.length === 0) return spec.length === 0;
  if (live.length !== spec.length || live.length > 16) return sameList(normaliseAcl(live), spec);
  // normaliseAcl(live) is sorted without repeats: equal to spec iff spec is, and they hold the same rules. With equal
  // lengths and spec without repeats, that is spec within live (live is then spec in some order).
  for (let i = 1; i < spec.length; i++) if (!((spec[i - 1] as string) < (spec[i] as string))) return false;
  for (let i = 0; i < spec.length; i++) {
    const rule = spec[i] as string;
    if (rule !== live[i] && !live.includes(rule)) return false;
  }
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A marker's ISO instant as people read it (2027-01-31, or with the time); "" for none. */
function shownInstant(iso: string | undefined): string {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? (iso ?? "") : formatInstant(ms);
}
