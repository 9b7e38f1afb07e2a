// ngrok error codes the emulator answers with, and the ngrok-style error body.
import type { NgrokErrorBody } from "../../src/ngrok/types.js";

/**
 * Codes and message templates from ngrok's published error index (ngrok.com/docs/errors). Where ngrok
 * documents no code for a case, the entry says "(our pick)".
 */
export const ERR = {
  /** Missing Authorization header. */
  authMissing: "ERR_NGROK_200",
  /** Authorization header present but not Basic/Bearer. */
  authUnparseable: "ERR_NGROK_201",
  /** Well-formed but unknown API key. */
  authInvalid: "ERR_NGROK_203",
  /** Content-Type other than JSON. */
  contentTypeUnsupported: "ERR_NGROK_210",
  /** Request body could not be parsed. */
  bodyUnparseable: "ERR_NGROK_213",
  /** Unknown body field (also how a PATCH carrying owner_id is refused). */
  unknownField: "ERR_NGROK_214",
  /** A field has a value of the wrong type or shape. */
  invalidValue: "ERR_NGROK_215",
  /** Body sent without a Content-Type. */
  contentTypeMissing: "ERR_NGROK_216",
  /** Ngrok-Version present but not supported. */
  versionUnsupported: "ERR_NGROK_217",
  /** Ngrok-Version missing. */
  versionMissing: "ERR_NGROK_218",
  /** Too many requests at once ("Your account is limited to MAX simultaneous API requests."), HTTP 429 (status our pick). */
  tooManySimultaneous: "ERR_NGROK_225",
  /** Rate limited ("Your account is rate limited to MAX API requests per INTERVAL"). */
  rateLimited: "ERR_NGROK_226",
  /** An id with the wrong prefix (before_id); also an id in a PATCH body that differs from the path's (our pick). */
  idPrefix: "ERR_NGROK_227",
  /** An update that sets nothing ("... update failed because no values were provided. Specify at least one value."). */
  noValues: "ERR_NGROK_606",
  /** Unknown query parameter. */
  unknownQuery: "ERR_NGROK_231",
  /** Page size limit out of range. */
  limitRange: "ERR_NGROK_233",
  /** An id with none of the allowed prefixes (owner_id must be usr_ or bot_). */
  idPrefixes: "ERR_NGROK_243",
  /** Page size limit not a number. */
  limitNotNumber: "ERR_NGROK_244",
  /** "Invalid metadata length: VAL bytes. Max: MAX". */
  metadataLength: "ERR_NGROK_100",
  /** "Invalid ACL rule. An ACL rule must be '*' or start with 'bind:' ...". */
  aclInvalid: "ERR_NGROK_600",
  /** Description over 255 bytes: ngrok documents only per-product "description is limited" codes (our pick: the generic invalid-value code). */
  descriptionLength: "ERR_NGROK_215",
  /** "Service User name must not be empty." */
  serviceUserNameEmpty: "ERR_NGROK_4109",
  /** An owner_id of the right shape that names no user or service user of the account (our pick: the invalid-value code). */
  ownerUnknown: "ERR_NGROK_215",
  /** An SSH public_key that is not one, or is a private key (our pick: the invalid-value code). */
  sshKeyInvalid: "ERR_NGROK_215",
  /** Deleting a service user that still owns credentials, API keys or SSH credentials; ngrok documents no behaviour (our pick: refuse, 409). */
  ownerHasResources: "ERR_NGROK_409",
  /** Not found (our pick: ngrok's 404 body shape with a status-derived code). */
  notFound: "ERR_NGROK_404",
  /** Method not allowed on a known path (our pick). */
  methodNotAllowed: "ERR_NGROK_405",
} as const;

/** Injected failures without a documented code use ERR_NGROK_<status> (our pick). */
export function codeForStatus(status: number): string {
  if (status === 429) return ERR.rateLimited;
  return `ERR_NGROK_${status}`;
}

export function errorBody(code: string, status: number, msg: string, opId: string): NgrokErrorBody {
  return { error_code: code, status_code: status, msg, details: { operation_id: opId } };
}

/** A validation failure raised inside a handler and turned into a 400 by the app. */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    msg: string,
  ) {
    super(msg);
    this.name = "EmulatorHttpError";
  }
}

/** Thrown out of app.fetch to imitate a reset connection: in workerd a failed fetch is a TypeError. */
export class ConnectionResetError extends TypeError {
  constructor() {
    super("fetch failed: connection reset by the ngrok emulator (injected fault)");
    this.name = "ConnectionResetError";
  }
}
