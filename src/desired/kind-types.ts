// Validated specs of the kinds beside credentials: service users, API keys and SSH credentials (plain data, normalised).
import type { UserMetadata } from "../ownership/marker.js";
import type { DeliveryTarget, OwnerRef, SourceLocation } from "./types.js";

export type { OwnerRef } from "./types.js";

/** The top-level lists of a spec file, in the order the plan creates them (service users first). */
export const KIND_LISTS = ["service_users", "credentials", "api_keys", "ssh_credentials"] as const;
export type KindList = (typeof KIND_LISTS)[number];
/** The lists beside `credentials:`. */
export type OtherKindList = Exclude<KindList, "credentials">;
export const OTHER_KIND_LISTS: readonly OtherKindList[] = ["service_users", "api_keys", "ssh_credentials"];


export interface ServiceUserSpec {
  name: string;
  active: boolean;
  /** Sorted, without duplicates. */
  roles: string[];
  prevent_destroy: boolean;
  /** A bot_… id to adopt. */
  import?: string;
  source: SourceLocation;
}

export interface ApiKeySpec {
  name: string;
  description: string;
  metadata: UserMetadata;
  owner_id?: string;
  owner?: OwnerRef;
  prevent_destroy: boolean;
  import?: string;
  deliver: DeliveryTarget[];
  rotate_after_ms?: number;
  expires?: string;
  expires_ms?: number;
  source: SourceLocation;
}

export interface SshCredentialSpec {
  name: string;
  description: string;
  metadata: UserMetadata;
  /** Sorted, without duplicates. */
  acl: string[];
  /** The authorized_keys line as written, trimmed: ngrok cannot change it, so a new key replaces the credential. */
  public_key: string;
  owner_id?: string;
  owner?: OwnerRef;
  prevent_destroy: boolean;
  import?: string;
  expires?: string;
  expires_ms?: number;
  source: SourceLocation;
}

/** The specs of the lists beside `credentials:`, each sorted by name. */
export interface KindSpecs {
  service_users: ServiceUserSpec[];
  api_keys: ApiKeySpec[];
  ssh_credentials: SshCredentialSpec[];
}

export function emptyKindSpecs(): KindSpecs {
  return { service_users: [], api_keys: [], ssh_credentials: [] };
}

/** Whether no list beside `credentials:` holds anything. */
export function noKindSpecs(kinds: KindSpecs | undefined): boolean {
  return kinds === undefined || (kinds.service_users.length === 0 && kinds.api_keys.length === 0 && kinds.ssh_credentials.length === 0);
}
