// `tsx scripts/check-deploy.ts` (meant as npm's predeploy): exits 1 naming each placeholder wrangler.toml still holds.
import { readFileSync } from "node:fs";
import { deployProblems } from "../src/config.js";

const problems = deployProblems(readFileSync(new URL("../wrangler.toml", import.meta.url), "utf8"));
for (const p of problems) console.error(`wrangler.toml: ${p.name} ${p.message}`);
if (problems.length > 0) {
  console.error("error: configure these before `wrangler deploy` (see README, Deploying)");
  process.exit(1);
}
