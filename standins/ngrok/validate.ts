// Request-body validation for create and update, with ngrok's byte limits and error codes.
import { DESCRIPTION_MAX_BYTES, METADATA_MAX_BYTES } from "../../src/ngrok/types.js";
import type { CredentialCreate, CredentialUpdate } from "../../src/ngrok/types.js";
import { isValidAclRule } from "./acl.js";
import { ERR, EmulatorHttpError } from "./errors.js";

const CREATE_FIELDS = ["description", "metadata", "acl", "owner_id"];
/** ngrok's OpenAPI lists `id` among the update's fields, and its official client sends it in the body. */
const UPDATE_FIELDS = ["id", "description", "metadata", "acl"];
const OWNER_ID = /^(usr|bot)_[0-9A-Za-z]{1,64}$/;

const encoder = new TextEncoder();
export const utf8Bytes = (s: string): number => encoder.encode(s).length;

export function bad(code: string, msg: string): EmulatorHttpError {
  return new EmulatorHttpError(400, code, msg);
}

export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw bad(ERR.bodyUnparseable, "The application/json request body could not be parsed: expected a JSON object.");
  }
  return body as Record<string, unknown>;
}

export function rejectUnknown(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw bad(ERR.unknownField, `The request parameter ${key} is unknown and not expected. The supported fields are: ${allowed.join(", ")}.`);
    }
  }
}

/** JSON null is treated as omitted, as ngrok's Go decoder does for optional fields. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw bad(ERR.invalidValue, `The value provided for the request parameter ${key} is invalid: expected a string.`);
  return value;
}

export function checkText(description: string | undefined, metadata: string | undefined): void {
  if (description !== undefined && utf8Bytes(description) > DESCRIPTION_MAX_BYTES) {
    throw bad(ERR.descriptionLength, `Invalid description length: ${utf8Bytes(description)} bytes. Max: ${DESCRIPTION_MAX_BYTES}`);
  }
  if (metadata !== undefined && utf8Bytes(metadata) > METADATA_MAX_BYTES) {
    throw bad(ERR.metadataLength, `Invalid metadata length: ${utf8Bytes(metadata)} bytes. Max: ${METADATA_MAX_BYTES}`);
  }
}

export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw bad(ERR.invalidValue, `The value provided for the request parameter ${key} is invalid: expected a boolean.`);
  return value;
}

export function optionalStrings(body: Record<string, unknown>, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((r): r is string => typeof r === "string")) {
    throw bad(ERR.invalidValue, `The value provided for the request parameter ${key} is invalid: expected a list of strings.`);
  }
  return [...value];
}

export function optionalAcl(body: Record<string, unknown>): string[] | undefined {
  const value = optionalStrings(body, "acl");
  if (value === undefined) return undefined;
  for (const rule of value) {
    if (!isValidAclRule(rule)) {
      throw bad(ERR.aclInvalid, `Invalid ACL rule. An ACL rule must be '*' or start with 'bind:'. The bind value must match the format of a domain, address, or label. You specified: ${JSON.stringify(rule)}.`);
    }
  }
  return [...value];
}

/** A create's owner_id: usr_/bot_ shaped, and (when `exists` is given) naming a user or service user of the account. */
export function optionalOwner(body: Record<string, unknown>, exists?: (id: string) => boolean): string | undefined {
  const ownerId = optionalString(body, "owner_id");
  if (ownerId === undefined || ownerId === "") return undefined;
  if (!OWNER_ID.test(ownerId)) throw bad(ERR.idPrefixes, `The ID ${JSON.stringify(ownerId)} is invalid. Expected an ID with prefix one of usr_, bot_.`);
  if (exists !== undefined && !exists(ownerId)) throw bad(ERR.ownerUnknown, `The owner_id ${JSON.stringify(ownerId)} does not name a user or service user of this account.`);
  return ownerId;
}

/** An update's `id`, when present, must be the id in the URI. */
export function checkBodyId(body: Record<string, unknown>, pathId: string): void {
  const id = optionalString(body, "id");
  if (id !== undefined && id !== pathId) {
    throw bad(ERR.idPrefix, `The ID ${JSON.stringify(id)} in the request body does not match the ID ${JSON.stringify(pathId)} in the URI.`);
  }
}

export function parseCreate(raw: unknown): CredentialCreate {
  const body = asObject(raw);
  rejectUnknown(body, CREATE_FIELDS);
  const out: CredentialCreate = editableFields(body);
  const ownerId = optionalOwner(body);
  if (ownerId !== undefined) out.owner_id = ownerId;
  return out;
}

/** `pathId` is the id in the URI: an `id` in the body must equal it. An update must set at least one value. */
export function parseUpdate(raw: unknown, pathId: string): CredentialUpdate {
  const body = asObject(raw);
  rejectUnknown(body, UPDATE_FIELDS);
  checkBodyId(body, pathId);
  const update = editableFields(body);
  if (update.description === undefined && update.metadata === undefined && update.acl === undefined) {
    throw bad(ERR.noValues, "The credential update failed because no values were provided. Specify at least one value.");
  }
  return update;
}

/** description, metadata and acl: checked the same way on create and update, for every kind; an omitted field stays omitted. */
export function editableFields(body: Record<string, unknown>): CredentialUpdate {
  const description = optionalString(body, "description");
  const metadata = optionalString(body, "metadata");
  checkText(description, metadata);
  const acl = optionalAcl(body);
  const out: CredentialUpdate = {};
  if (description !== undefined) out.description = description;
  if (metadata !== undefined) out.metadata = metadata;
  if (acl !== undefined) out.acl = acl;
  return out;
}
