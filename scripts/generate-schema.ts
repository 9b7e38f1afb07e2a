// Writes schema/credentials.schema.json from src/spec/schema.ts (`npm run schema`); a test fails when it is stale.
import { writeFileSync } from "node:fs";
import { renderJsonSchema } from "../src/spec/json-schema.js";

const path = new URL("../schema/credentials.schema.json", import.meta.url);
writeFileSync(path, renderJsonSchema());
console.log(`wrote ${path.pathname}`);
