// The fields of a live credential that differ from its spec, and the PATCH body that sends only those.
import { formatInstant } from "../desired/expires.js";
import type { CredentialSpec } from "../desired/types.js";
import type { Credential, CredentialUpdate } from "../ngrok/types.js";
import { encodeMetadata, sameUser, userOf, type Marker, type ParsedMarker } from "../ownership/marker.js";

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

/** The `expires` a spec's marker carries: its instant as ISO 8601 UTC, when set and still ahead of `now`. */
export function markerExpires(spec: Pick<CredentialSpec, "expires_ms">, now: number): string | undefined {
  return spec.expires_ms !== undefined && spec.expires_ms > now ? new Date(spec.expires_ms).toISOString() : undefined;
}

/**
 * The fields whose live value differs from the spec. `managed` (the parsed marker) is undefined for an unmanaged
 * credential; its user metadata is compared in place and copied only when it differs.
 */
export function fieldChanges(spec: CredentialSpec, live: Credential, managed: ParsedMarker | undefined, now: number): FieldChange[] {
  const fields: FieldChange[] = [];
  const description = live.description ?? "";
  if (description !== spec.description) fields.push({ field: "description", before: description, after: spec.description });
  if (managed) {
    const { marker } = managed;
    if (!sameUser(managed, spec.metadata)) fields.push({ field: "metadata", before: userOf(managed), after: spec.metadata });
    if ((marker.protect ?? false) !== spec.prevent_destroy) fields.push({ field: "prevent_destroy", before: marker.protect ?? false, after: spec.prevent_destroy });
    const expires = markerExpires(spec, now);
    if (marker.expires !== expires) fields.push({ field: "expires", before: shownInstant(marker.expires), after: shownInstant(expires) });
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
