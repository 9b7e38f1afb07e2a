// Wire types of the ngrok credentials API (Ngrok-Version: 2), exactly as the reference documents them.

/** A tunnel credential as ngrok returns it. `token` is a string only in the create response. */
export interface Credential {
  id: string;
  uri: string;
  created_at: string;
  /** Absent or "" when unset. */
  description?: string;
  /** Absent or "" when unset. */
  metadata?: string;
  token: string | null;
  acl: string[];
  owner_id: string;
}

export interface CredentialCreate {
  description?: string;
  metadata?: string;
  acl?: string[];
  owner_id?: string;
}

/** PATCH body: an omitted field stays as it is; "" or [] clears it. */
export interface CredentialUpdate {
  description?: string;
  metadata?: string;
  acl?: string[];
}

export interface CredentialList {
  credentials: Credential[];
  uri: string;
  next_page_uri: string | null;
}

/** ngrok's error body, e.g. {"error_code":"ERR_NGROK_404","status_code":404,"msg":"...","details":{"operation_id":"op_..."}}. */
export interface NgrokErrorBody {
  error_code: string;
  status_code: number;
  msg: string;
  details: { operation_id: string; [key: string]: string };
}

/** Byte limits from the reference, counted in UTF-8 bytes. */
export const DESCRIPTION_MAX_BYTES = 255;
export const METADATA_MAX_BYTES = 4096;
/** The largest page the list endpoint serves. */
export const MAX_PAGE_LIMIT = 100;
