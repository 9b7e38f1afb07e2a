// The repository policy format (ngrok-gitops.policy.yaml): its validator and schema/policy.schema.json both come from here.
import * as z from "zod";
import { ACL_RULE_MAX_LENGTH, HOST, LABEL_KEY, LABEL_VALUE, PORT } from "./acl.js";
import { DELIVER_ALLOW_MAX_LENGTH, DELIVER_ALLOW_PATTERN } from "./deliver-allow.js";
import { DURATION_PATTERN } from "./duration.js";

/** The policy file's name, in the folder that holds `credentials/` (the repository root). */
export const POLICY_FILE = "ngrok-gitops.policy.yaml";

/** Fields `require` can name; `metadata.KEY` (nested: `metadata.a.b`) requires a key of the metadata mapping. */
export const REQUIRABLE_FIELDS = ["description", "acl", "owner_id", "deliver", "rotate_after", "expires", "metadata"] as const;
export const REQUIRE_PATTERN = /^(?:description|acl|owner_id|deliver|rotate_after|expires|metadata(?:\.[A-Za-z0-9_-]{1,64}){0,8})$/;

/**
 * A bind target pattern, with or without `bind:`: a hostname (`*.example.com` covers every subdomain,
 * `example.com` only itself), a TCP address `host:port` or `host:*` (the host may be `*.`-wildcarded), or a
 * label rule `key=value` where key and/or value may be `*`.
 */
export const ALLOW_PATTERN = new RegExp(`^(?:bind:)?(?:(?:\\*\\.)?${HOST}(?::(?:${PORT}|\\*))?|${LABEL_KEY}=${LABEL_VALUE})$`);

export const policySchema = z
  .strictObject({
    require: z
      .array(z.string().regex(REQUIRE_PATTERN))
      .optional()
      .describe(`fields every credential must set (not empty): ${REQUIRABLE_FIELDS.join(", ")}, or metadata.KEY`),
    acl: z
      .strictObject({
        allow: z
          .array(z.string().max(ACL_RULE_MAX_LENGTH).regex(ALLOW_PATTERN))
          .min(1)
          .optional()
          .describe("every bind target of every credential must fall under one of these patterns; an unrestricted credential falls under none"),
        deny_unrestricted: z.boolean().optional().describe("refuse credentials without restriction (acl omitted, [] or \"*\")"),
      })
      .optional()
      .describe("rules for the credentials' ACLs"),
    deliver: z
      .strictObject({
        allow: z
          .array(z.string().max(DELIVER_ALLOW_MAX_LENGTH).regex(DELIVER_ALLOW_PATTERN))
          .min(1)
          .optional()
          .describe("every deliver target must fall under one of these: OWNER/REPO:SECRET, OWNER/REPO@ENVIRONMENT:SECRET or org:ORG:SECRET, * matching within a part"),
      })
      .optional()
      .describe("rules for where tokens are delivered"),
    max_rotate_after: z.string().regex(DURATION_PATTERN).optional().describe("e.g. 90d: every credential must rotate at least this often (its rotate_after, or the deployment's ROTATE_AFTER)"),
    max_lifetime: z.string().regex(DURATION_PATTERN).optional().describe("e.g. 180d: every credential must set expires, no further out than this"),
    review: z
      .strictObject({
        approvals: z.number().int().min(1).max(100).describe("approvals a merged pull request needs before its commit is applied (each changed credential also needs one of its CODEOWNERS)"),
      })
      .optional()
      .describe("turns review enforcement on: an apply only applies a commit whose merged pull request has these approvals"),
  })
  .describe("ngrok-gitops repository policy");

/** The JSON Schema editors use (published as schema/policy.schema.json). */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://github.com/ngrok-gitops/ngrok-gitops/schema/policy.schema.json",
    title: "ngrok-gitops repository policy",
  };
}
