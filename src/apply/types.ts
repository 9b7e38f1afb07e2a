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

/**
 * The codes of the errors a change can fail with (the ports' typed errors: ngrok client, vault, intent log, budget),
 * and INTERNAL for anything else. A record, so the list the checks read back and the union cannot disagree.
 */
const FAILURE_CODE_SET = {
  NGROK_API_ERROR: true,
  NGROK_NETWORK_ERROR: true,
  NGROK_PROTOCOL_ERROR: true,
  SUBREQUEST_BUDGET_EXHAUSTED: true,
  TOKEN_NOT_STORED: true,
  VAULT_KEYRING_MISSING: true,
  VAULT_KEYRING_INVALID: true,
  VAULT_UNKNOWN_KEY: true,
  VAULT_DECRYPT_FAILED: true,
  VAULT_RECORD_INVALID: true,
  VAULT_INPUT_INVALID: true,
  VAULT_STORE_FAILED: true,
  VAULT_STORE_UNSAFE: true,
  /** The CLI's file intent log (cli/file-intents.ts). */
  CLI_INTENTS_INVALID: true,
  CLI_INTENTS_WRITE: true,
  /** A change whose `owner:` names a service user this plan was to create, and did not (src/kinds/). */
  OWNER_MISSING: true,
  INTERNAL: true,
} as const;
export type FailureCode = keyof typeof FAILURE_CODE_SET;
export const FAILURE_CODES = Object.keys(FAILURE_CODE_SET) as [FailureCode, ...FailureCode[]];

/** The code an error's own `code` names, INTERNAL when it names none of FailureCode. */
export function failureCode(code: unknown): FailureCode {
  return typeof code === "string" && Object.hasOwn(FAILURE_CODE_SET, code) ? (code as FailureCode) : "INTERNAL";
}

export interface FailureInfo {
  /** A stable code: the error's own (NGROK_API_ERROR, VAULT_STORE_FAILED, …). */
  code: FailureCode;
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
