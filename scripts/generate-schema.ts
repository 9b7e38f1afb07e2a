// Writes schema/credentials.schema.json and schema/policy.schema.json from src/desired/ (`npm run schema`); a test fails when either is stale.
import { writeFileSync } from "node:fs";
import { renderJsonSchema, renderPolicyJsonSchema } from "../src/desired/json-schema.js";

for (const [name, text] of [
  ["credentials.schema.json", renderJsonSchema()],
  ["policy.schema.json", renderPolicyJsonSchema()],
] as const) {
  const path = new URL(`../schema/${name}`, import.meta.url);
  writeFileSync(path, text);
  console.log(`wrote ${path.pathname}`);
}
