// What apply needs from the edges (ngrok, the vault, the intent log) and what it reports.
import type { Credential, CredentialCreate, CredentialUpdate } from "../ngrok/types.js";
import type { Intent, PlanChange } from "../plan/types.js";

/** The ngrok calls apply makes; NgrokClient satisfies it. */
export interface CredentialsApi {
  create(body: CredentialCreate): Promise<Credential>;
  update(id: string, body: CredentialUpdate): Promise<Credential>;
  delete(id: string): Promise<void>;
}

/** Where minted tokens go; TokenVault satisfies it. `store` must reject unless the token is durably kept. */
export interface TokenKeeper {
  store(name: string, id: string, token: string): Promise<void>;
  remove(name: string): Promise<void>;
}

/**
 * The write-ahead log of creates: an intent is opened before POST /credentials and closed once the token
 * is stored. An intent still open on the next run marks a credential whose token nobody received.
 */
export interface IntentLog {
  open(intent: Intent): Promise<void>;
  close(intent: Intent): Promise<void>;
  list(): Promise<Intent[]>;
}

export interface FailureInfo {
  /** A stable code: the error's own (NGROK_API_ERROR, VAULT_STORE_FAILED, …). */
  code: string;
  message: string;
  status_code?: number;
  operation_id?: string;
}

export type ChangeOutcome =
  | { status: "done"; change: PlanChange; /** The id a create or replace minted. */ createdId?: string; note?: string }
  | { status: "failed"; change: PlanChange; error: FailureInfo; /** What was done to leave no orphan behind. */ compensation?: string };

export interface ApplyReport {
  ok: boolean;
  outcomes: ChangeOutcome[];
  /** Changes not started because an earlier one failed (apply stops on the first failure). */
  notAttempted: PlanChange[];
}
