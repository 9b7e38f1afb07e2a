// Checks that ngrok's JSON bodies have the documented shape before the rest of the code trusts them.
import type { Credential, CredentialList, NgrokErrorBody } from "./types.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): boolean => v === undefined || typeof v === "string";

/** Returns the credential or a sentence saying what is wrong with it. */
export function parseCredential(v: unknown): Credential | string {
  if (!isObject(v)) return "a credential is not an object";
  const { id, uri, created_at, description, metadata, token, acl, owner_id } = v;
  if (typeof id !== "string" || typeof uri !== "string" || typeof created_at !== "string") return "a credential lacks id, uri or created_at";
  if (!optionalString(description) || !optionalString(metadata)) return `credential ${id}: description/metadata not strings`;
  if (token !== null && token !== undefined && typeof token !== "string") return `credential ${id}: token is neither a string nor null`;
  const rules = acl ?? [];
  if (!Array.isArray(rules) || !rules.every((r) => typeof r === "string")) return `credential ${id}: acl is not a list of strings`;
  if (typeof owner_id !== "string") return `credential ${id}: owner_id is not a string`;
  const out: Credential = { id, uri, created_at, token: typeof token === "string" ? token : null, acl: rules as string[], owner_id };
  if (typeof description === "string") out.description = description;
  if (typeof metadata === "string") out.metadata = metadata;
  return out;
}

export function parseCredentialList(v: unknown): CredentialList | string {
  if (!isObject(v)) return "the list is not an object";
  if (!Array.isArray(v.credentials)) return "the list has no credentials array";
  const credentials: Credential[] = [];
  for (const item of v.credentials) {
    const parsed = parseCredential(item);
    if (typeof parsed === "string") return parsed;
    credentials.push(parsed);
  }
  const next = v.next_page_uri;
  if (next !== null && next !== undefined && typeof next !== "string") return "next_page_uri is neither a string nor null";
  return { credentials, uri: typeof v.uri === "string" ? v.uri : "", next_page_uri: typeof next === "string" && next !== "" ? next : null };
}

export function parseErrorBody(v: unknown): NgrokErrorBody | undefined {
  if (!isObject(v) || typeof v.msg !== "string") return undefined;
  const details = isObject(v.details) ? v.details : {};
  const stringDetails: Record<string, string> = {};
  for (const [k, d] of Object.entries(details)) if (typeof d === "string") stringDetails[k] = d;
  return {
    error_code: typeof v.error_code === "string" ? v.error_code : "",
    status_code: typeof v.status_code === "number" ? v.status_code : 0,
    msg: v.msg,
    details: { ...stringDetails, operation_id: stringDetails.operation_id ?? "" },
  };
}
