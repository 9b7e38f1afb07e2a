// `npm run types` / the check in `npm test`: wrangler types, run where no local .dev.vars can leak into the result.
//
// wrangler adds the names of the secrets in .dev.vars to the generated Env (and to its staleness hash), and
// `npm start` writes a .dev.vars: run in place, the check would fail on every machine that ran `npm start`.
// So the types are generated in a scratch folder holding only wrangler.toml and links to src/ and node_modules/.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const check = process.argv.includes("--check");
const root = resolve(new URL("..", import.meta.url).pathname);
const scratch = mkdtempSync(join(tmpdir(), "ngrok-gitops-types-"));
try {
  copyFileSync(join(root, "wrangler.toml"), join(scratch, "wrangler.toml"));
  symlinkSync(join(root, "src"), join(scratch, "src"));
  symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"));
  execFileSync(join(root, "node_modules", ".bin", "wrangler"), ["types", "--strict-vars=false"], { cwd: scratch, stdio: ["ignore", "ignore", "inherit"] });
  const fresh = readFileSync(join(scratch, "worker-configuration.d.ts"), "utf8");
  const target = join(root, "worker-configuration.d.ts");
  if (check) {
    if (readFileSync(target, "utf8") !== fresh) {
      console.error("worker-configuration.d.ts is out of date with wrangler.toml: run `npm run types` and commit it.");
      process.exitCode = 1;
    }
  } else {
    copyFileSync(join(scratch, "worker-configuration.d.ts"), target);
    console.log("wrote worker-configuration.d.ts");
  }
} catch (error) {
  // wrangler has printed why (e.g. invalid TOML) on stderr.
  console.error(`wrangler types failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
