// A validated credential spec: plain data, normalised, with where it came from.
import type { UserMetadata } from "../ownership/marker.js";
import type { DeliveryTarget } from "./schema.js";

export type { DeliveryTarget };

/** Where a credential is defined: the position of its `name`. */
/** An `owner:` as written: the service user's spec name (or, for one we do not manage, its name on the account). */
export interface OwnerRef {
  name: string;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** e.g. credentials[2] */
  field: string;
}

export interface CredentialSpec {
  name: string;
  /** "" when the spec has none. */
  description: string;
  metadata: UserMetadata;
  /** Sorted and without duplicates: order and repeats never cause an update. */
  acl: string[];
  owner_id?: string;
  /** `owner: <service user name>`: resolved to the service user's id by the plan. */
  owner?: OwnerRef;
  prevent_destroy: boolean;
  import?: string;
  deliver: DeliveryTarget[];
  /** Milliseconds, when set. */
  rotate_after_ms?: number;
  /** `expires` as written (2027-01-31 or an RFC 3339 time), when set. */
  expires?: string;
  /** The instant it expires, ms since the epoch; set with `expires`. */
  expires_ms?: number;
  source: SourceLocation;
}

export interface SpecSource {
  /** Path relative to the repository root, e.g. credentials/team/ci.yaml. */
  path: string;
  content: string;
  /** The git blob SHA, when the file came from GitHub: a cheap, exact cache key. */
  sha?: string;
}
