// The markers of live credentials as the diff reads them: an unchanged credential recognised by its exact metadata string, any other decoded.
import type { CredentialSpec } from "../desired/types.js";
import type { Credential } from "../ngrok/types.js";
import { decodeMarker, type Marker, type ParsedMarker } from "../ownership/marker.js";
import { markedName, markerPrefix, matchMetadata, type ExpectedMarker } from "../ownership/marker-match.js";

/** A live credential with its marker (the diff keeps one per managed name). */
export interface LiveMarker {
  credential: Credential;
  marker: Marker;
  /**
   * The parsed metadata; null when the metadata is exactly what encodeMetadata gives the spec of the marker's name
   * (with any nonce): its user metadata, prevent_destroy and expires are then the spec's.
   */
  managed: ParsedMarker | null;
  /** Where the spec of the marker's name is in the diff's specs; -1 when none has it (or the marker is another owner's). */
  at: number;
}

/** Reads a credential's metadata: its marker, or null when it is not our well-formed marker (decodeMarker's answer). */
export type MarkerReader = (credential: Credential) => LiveMarker | null;

/**
 * A reader for one diff over `specs` (the specs it plans for; `positionOf`: a name's position in them). `now` is the plan's
 * instant: a spec's marker carries `expires` only while it is ahead. The one-pass and the sliced diff both read with it.
 */
export function markerReader(ownerId: string, now: number, specs: readonly CredentialSpec[], positionOf: (name: string) => number | undefined): MarkerReader {
  const prefix = markerPrefix(ownerId);
  // One scratch for every match: the diff reads every live credential, and most go no further.
  const expected: ExpectedMarker = { user: null, prefix, name: "", protect: false, expires: undefined };
  return (credential) => {
    const { metadata } = credential;
    if (metadata) {
      const name = markedName(metadata, prefix);
      const at = name === undefined ? undefined : positionOf(name);
      const spec = at === undefined ? undefined : specs[at];
      if (at !== undefined && spec !== undefined) {
        const expires = markerExpires(spec, now);
        expected.user = spec.metadata;
        expected.name = spec.name;
        expected.protect = spec.prevent_destroy;
        expected.expires = expires;
        const nonce = matchMetadata(metadata, expected);
        expected.user = null;
        if (nonce !== null) {
          // decodeMarker's key order.
          const marker: Marker = { owner: ownerId, name: spec.name };
          if (nonce !== undefined) marker.nonce = nonce;
          if (spec.prevent_destroy) marker.protect = true;
          if (expires !== undefined) marker.expires = expires;
          return { credential, marker, managed: null, at };
        }
      }
    }
    const managed = decodeMarker(metadata);
    if (managed === null) return null;
    const { marker } = managed;
    return { credential, marker, managed, at: marker.owner === ownerId ? (positionOf(marker.name) ?? -1) : -1 };
  };
}

/** The parsed metadata of a live credential (one its reader matched exactly decodes: it is our well-formed marker). */
export function parsedOf(read: LiveMarker): ParsedMarker {
  return read.managed ?? (decodeMarker(read.credential.metadata) as ParsedMarker);
}

/** The `expires` a spec's marker carries: its instant as ISO 8601 UTC, when set and still ahead of `now`. */
export function markerExpires(spec: Pick<CredentialSpec, "expires_ms">, now: number): string | undefined {
  return spec.expires_ms !== undefined && spec.expires_ms > now ? new Date(spec.expires_ms).toISOString() : undefined;
}
