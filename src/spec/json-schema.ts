// The published JSON Schema, rendered from the same zod schema the validator uses.
import { credentialsJsonSchema } from "./schema.js";

/** The exact text of schema/credentials.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(credentialsJsonSchema(), null, 2)}\n`;
}
