// The spec format's single source of truth: the validator and schema/credentials.schema.json both come from here.
import * as z from "zod";
import { ACL_RULE_MAX_LENGTH, ACL_RULE_PATTERN } from "./acl.js";
import { DURATION_PATTERN } from "./duration.js";
import { EXPIRES_PATTERN } from "./expires.js";
import { DESCRIPTION_MAX_BYTES } from "../ngrok/types.js";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9\-_.]{0,62}$/;
export const OWNER_ID_PATTERN = /^(usr|bot)_[A-Za-z0-9]{1,64}$/;
export const CREDENTIAL_ID_PATTERN = /^cr_[A-Za-z0-9]{1,64}$/;
export const REPOSITORY_PATTERN = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
/** GitHub: letters, digits and underscores, not starting with a digit or GITHUB_. */
export const SECRET_NAME_PATTERN = /^(?![Gg][Ii][Tt][Hh][Uu][Bb]_)[A-Za-z_][A-Za-z0-9_]{0,254}$/;
export const ENVIRONMENT_PATTERN = /^[^\s/][^/]{0,254}$/;

const githubActionsSecret = z.strictObject({
  repo: z.string().regex(REPOSITORY_PATTERN).describe("owner/name of the repository"),
  name: z.string().regex(SECRET_NAME_PATTERN).describe("secret name, e.g. NGROK_AUTHTOKEN"),
  environment: z.string().regex(ENVIRONMENT_PATTERN).optional().describe("deployment environment (environment secret)"),
});

export const ORG_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

const githubActionsOrgSecret = z.strictObject({
  org: z.string().regex(ORG_PATTERN).describe("organisation login"),
  name: z.string().regex(SECRET_NAME_PATTERN).describe("secret name, e.g. NGROK_AUTHTOKEN"),
  visibility: z.enum(["all", "private"]).optional().describe("which of the organisation's repositories may use it (default private)"),
});

export const deliveryTargetSchema = z
  .strictObject({
    github_actions_secret: githubActionsSecret.optional(),
    github_actions_org_secret: githubActionsOrgSecret.optional(),
  })
  .refine((target) => Object.keys(target).length === 1, { message: "names exactly one target: github_actions_secret or github_actions_org_secret" })
  .meta({ minProperties: 1, maxProperties: 1 });

export const userMetadataSchema = z.union([
  z.string(),
  // The reserved marker key is refused by the loader, which can point at it.
  z.record(z.string(), z.json()),
]);

export const credentialSpecSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN).describe("identity of the credential; unique across all files"),
    description: z
      .string()
      // JSON Schema cannot count bytes: 255 characters is the closest it can say; the validator counts UTF-8 bytes.
      .max(DESCRIPTION_MAX_BYTES)
      .optional()
      .describe(`at most ${DESCRIPTION_MAX_BYTES} bytes (UTF-8)`),
    metadata: userMetadataSchema.optional().describe("a mapping or a string; at most 4096 bytes as sent, ownership marker included"),
    acl: z
      .array(z.string().max(ACL_RULE_MAX_LENGTH).regex(ACL_RULE_PATTERN))
      .optional()
      .describe('bind rules; omitted or [] means no restriction'),
    owner_id: z.string().regex(OWNER_ID_PATTERN).optional().describe("usr_… or bot_… id; not with owner; changing it replaces the credential"),
    owner: z.string().regex(NAME_PATTERN).optional().describe("the name of a service user in these specs (or on the account); not with owner_id"),
    prevent_destroy: z.boolean().optional().describe("a plan that would delete or replace this credential fails"),
    import: z.string().regex(CREDENTIAL_ID_PATTERN).optional().describe("adopt this existing credential (cr_…) instead of creating one"),
    deliver: z.array(deliveryTargetSchema).optional().describe("where the minted token is pushed"),
    rotate_after: z.string().regex(DURATION_PATTERN).optional().describe("e.g. 90d: replace the credential when it is older"),
    expires: z
      .string()
      .regex(EXPIRES_PATTERN)
      .optional()
      .describe("YYYY-MM-DD (00:00 UTC that day) or an RFC 3339 time: from then on the credential is deleted and never created; not with prevent_destroy"),
  })
  // The loader refuses this pair with a message of its own; the JSON Schema says it for editors.
  .meta({ not: { required: ["prevent_destroy", "expires"], properties: { prevent_destroy: { const: true } } } })
  .describe("one ngrok tunnel credential");

export type DeliveryTarget = z.infer<typeof deliveryTargetSchema>;
