// The published JSON Schemas, rendered from the same zod schemas the validators use.
import { policyJsonSchema } from "./repo-policy-schema.js";
import { credentialsJsonSchema } from "./kind-schema.js";

/** The exact text of schema/credentials.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(credentialsJsonSchema(), null, 2)}\n`;
}

/** The exact text of schema/policy.schema.json. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
