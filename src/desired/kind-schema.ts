// The spec format of the kinds beside credentials (service users, API keys, SSH credentials) and of a whole file.
import * as z from "zod";
import { ACL_RULE_MAX_LENGTH, ACL_RULE_PATTERN } from "./acl.js";
import { DURATION_PATTERN } from "./duration.js";
import { EXPIRES_PATTERN } from "./expires.js";
import { DESCRIPTION_MAX_BYTES } from "../ngrok/types.js";
import { credentialSpecSchema, deliveryTargetSchema, NAME_PATTERN, OWNER_ID_PATTERN, userMetadataSchema } from "./schema.js";

export const SERVICE_USER_ID_PATTERN = /^bot_[A-Za-z0-9]{1,64}$/;
export const API_KEY_ID_PATTERN = /^ak_[A-Za-z0-9]{1,64}$/;
export const SSH_CREDENTIAL_ID_PATTERN = /^sshcr_[A-Za-z0-9]{1,64}$/;
/** The roles ngrok lets a service user hold (ERR_NGROK_IAM_SERVICE_USER_ROLE_NOT_ALLOWED names them). */
export const SERVICE_USER_ROLES = ["developer", "developer-readonly", "team-manager"] as const;

const description = z
  .string()
  .max(DESCRIPTION_MAX_BYTES)
  .optional()
  .describe(`at most ${DESCRIPTION_MAX_BYTES} bytes (UTF-8)`);
const metadata = userMetadataSchema.optional().describe("a mapping or a string; at most 4096 bytes as sent, ownership marker included");
const owner = z.string().regex(NAME_PATTERN).optional().describe("the name of a service user in these specs (or on the account); not with owner_id");
const ownerId = z.string().regex(OWNER_ID_PATTERN).optional().describe("usr_… or bot_… id; not with owner; changing it replaces the resource");
const preventDestroy = z.boolean().optional().describe("a plan that would delete or replace it fails");
const expires = z
  .string()
  .regex(EXPIRES_PATTERN)
  .optional()
  .describe("YYYY-MM-DD (00:00 UTC that day) or an RFC 3339 time: from then on it is deleted and never created; not with prevent_destroy");
const notBoth = { not: { required: ["prevent_destroy", "expires"], properties: { prevent_destroy: { const: true } } } };

export const serviceUserSpecSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN).describe("identity of the service user; unique among service users across all files"),
    active: z.boolean().optional().describe("whether it may act (default true)"),
    roles: z.array(z.enum(SERVICE_USER_ROLES)).optional().describe("account roles it holds"),
    prevent_destroy: preventDestroy,
    import: z.string().regex(SERVICE_USER_ID_PATTERN).optional().describe("adopt this existing service user (bot_…) instead of creating one"),
  })
  .describe("one ngrok service user (formerly bot user)");

export const apiKeySpecSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN).describe("identity of the API key; unique among API keys across all files"),
    description,
    metadata,
    owner,
    owner_id: ownerId,
    prevent_destroy: preventDestroy,
    import: z.string().regex(API_KEY_ID_PATTERN).optional().describe("adopt this existing API key (ak_…) instead of creating one"),
    deliver: z.array(deliveryTargetSchema).optional().describe("where the minted key is pushed"),
    rotate_after: z.string().regex(DURATION_PATTERN).optional().describe("e.g. 90d: replace the key when it is older"),
    expires,
  })
  .meta(notBoth)
  .describe("one ngrok API key");

export const sshCredentialSpecSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN).describe("identity of the SSH credential; unique among SSH credentials across all files"),
    description,
    metadata,
    acl: z
      .array(z.string().max(ACL_RULE_MAX_LENGTH).regex(ACL_RULE_PATTERN))
      .optional()
      .describe("bind rules; omitted or [] means no restriction"),
    // Checked by the loader, which never repeats the value (it might be a private key pasted by mistake).
    public_key: z.string().describe("the SSH public key (one authorized_keys line); never a private key; a new key replaces the credential"),
    owner,
    owner_id: ownerId,
    prevent_destroy: preventDestroy,
    import: z.string().regex(SSH_CREDENTIAL_ID_PATTERN).optional().describe("adopt this existing SSH credential (sshcr_…) instead of creating one"),
    expires,
  })
  .meta(notBoth)
  .describe("one ngrok SSH credential");

/** Each top-level list's item schema. */
export const ITEM_SCHEMAS = {
  service_users: serviceUserSpecSchema,
  credentials: credentialSpecSchema,
  api_keys: apiKeySpecSchema,
  ssh_credentials: sshCredentialSpecSchema,
} as const;

export const specFileSchema = z
  .strictObject({
    service_users: z.array(serviceUserSpecSchema).optional(),
    credentials: z.array(credentialSpecSchema).optional(),
    api_keys: z.array(apiKeySpecSchema).optional(),
    ssh_credentials: z.array(sshCredentialSpecSchema).optional(),
  })
  .meta({ minProperties: 1 })
  .describe("ngrok-gitops spec file: credentials (authtokens), service users, API keys and SSH credentials");

/** The JSON Schema editors use (published as schema/credentials.schema.json). */
export function credentialsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(specFileSchema, { unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://github.com/ngrok-gitops/ngrok-gitops/schema/credentials.schema.json",
    title: "ngrok-gitops credentials",
  };
}
