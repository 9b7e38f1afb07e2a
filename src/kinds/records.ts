// Each resource kind as data: its API path, wire list, fields, byte limits, secret and where its ownership marker lives.
import type { KindList } from "../desired/kind-types.js";
import { DESCRIPTION_MAX_BYTES, METADATA_MAX_BYTES } from "../ngrok/types.js";

export type KindId = "service_user" | "credential" | "api_key" | "ssh_credential";

export interface KindRecord {
  id: KindId;
  /** The spec list it is written under. */
  list: KindList;
  /** The API path, e.g. "/api_keys". */
  path: string;
  /** The list response's array property, e.g. "keys". */
  wireList: string;
  /** Operation names for the client's counters and the audit log: `${op}.list`, `${op}.create`, … */
  op: "credentials" | "service_users" | "api_keys" | "ssh_credentials";
  idPrefix: string;
  /** The fields a create may send. */
  createFields: readonly string[];
  /** The fields a PATCH may change; the others (owner_id, public_key) change only by replacing the resource. */
  updateFields: readonly string[];
  /** UTF-8 byte limits of its text fields. */
  limits: Readonly<Partial<Record<"description" | "metadata", number>>>;
  /** The field the create answer carries once and never again (sealed and delivered), or null. */
  secret: "token" | null;
  /**
   * Where the ownership marker is: in `metadata` (a reserved JSON key, as for credentials), or in `name` (service
   * users have no metadata: see ownership/name-marker.ts).
   */
  marker: "metadata" | "name";
  /** Plan order: lower creates first and deletes last (service users own the other kinds). */
  rank: number;
}

const TEXT_LIMITS = { description: DESCRIPTION_MAX_BYTES, metadata: METADATA_MAX_BYTES } as const;

export const SERVICE_USERS: KindRecord = {
  id: "service_user",
  list: "service_users",
  path: "/service_users",
  wireList: "service_users",
  op: "service_users",
  idPrefix: "bot_",
  createFields: ["name", "active", "roles"],
  updateFields: ["name", "active", "roles"],
  limits: {},
  secret: null,
  marker: "name",
  rank: 0,
};

export const CREDENTIALS: KindRecord = {
  id: "credential",
  list: "credentials",
  path: "/credentials",
  wireList: "credentials",
  op: "credentials",
  idPrefix: "cr_",
  createFields: ["description", "metadata", "acl", "owner_id"],
  updateFields: ["description", "metadata", "acl"],
  limits: TEXT_LIMITS,
  secret: "token",
  marker: "metadata",
  rank: 1,
};

export const API_KEYS: KindRecord = {
  id: "api_key",
  list: "api_keys",
  path: "/api_keys",
  wireList: "keys",
  op: "api_keys",
  idPrefix: "ak_",
  createFields: ["description", "metadata", "owner_id"],
  updateFields: ["description", "metadata"],
  limits: TEXT_LIMITS,
  secret: "token",
  marker: "metadata",
  rank: 1,
};

export const SSH_CREDENTIALS: KindRecord = {
  id: "ssh_credential",
  list: "ssh_credentials",
  path: "/ssh_credentials",
  wireList: "ssh_credentials",
  op: "ssh_credentials",
  idPrefix: "sshcr_",
  createFields: ["description", "metadata", "acl", "public_key", "owner_id"],
  updateFields: ["description", "metadata", "acl"],
  limits: TEXT_LIMITS,
  secret: null,
  marker: "metadata",
  rank: 1,
};

/** Every kind, in plan order. */
export const KINDS: readonly KindRecord[] = [SERVICE_USERS, CREDENTIALS, API_KEYS, SSH_CREDENTIALS];

export function kindOf(id: KindId): KindRecord {
  return KINDS.find((kind) => kind.id === id) as KindRecord;
}

/** The key a kind's secret is kept under in the vault (and its intents): credentials keep the bare name. */
export function vaultName(kind: KindRecord, name: string): string {
  return kind.id === "credential" ? name : `${kind.list}/${name}`;
}
