// `npm run deploy`: every pre-deploy check (wrangler.toml placeholders and KV id, the configuration and secrets the Worker needs, the bundle builds), then `wrangler deploy` with the secrets; any problem and nothing is changed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployProblems, readConfig, type ConfigProblem } from "../config.js";
import { adminTokenProblem } from "../http/operator.js";
import { readSecrets, SECRET_NAMES, type Secrets } from "./secrets-file.js";
import { readVars, runWrangler } from "./wrangler.js";

export interface DeployOptions {
  readonly cwd: string;
  /** wrangler.toml. */
  readonly config: string;
  readonly secretsPath: string;
  readonly dryRun: boolean;
  readonly out: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

const SECRETS = new Set<string>(SECRET_NAMES);

/** The checks on wrangler.toml's text and the secrets file (pure): every problem, each named once. */
export function configurationProblems(toml: string, secrets: Secrets, secretsPath: string): ConfigProblem[] {
  const problems = deployProblems(toml);
  const vars = { ...readVars(toml), ...secrets };
  const read = readConfig(vars, { for: "worker" });
  const named = new Set(problems.map((p) => p.name));
  for (const p of read.ok ? [] : read.problems) {
    if (named.has(p.name)) continue;
    named.add(p.name);
    const secret = SECRETS.has(p.name) && p.message.startsWith("is not set");
    problems.push(secret ? { name: p.name, message: `is missing from ${secretsPath} (\`npm run setup\` writes it)` } : p);
  }
  const admin = secrets["ADMIN_TOKEN"] ? adminTokenProblem(secrets["ADMIN_TOKEN"]) : null;
  if (admin) problems.push({ name: "ADMIN_TOKEN", message: admin.replace(/^ADMIN_TOKEN /, "") });
  return problems;
}

/** Builds the bundle as `wrangler deploy` would (`--dry-run`, offline): a problem when it does not build. */
async function bundleProblem(options: DeployOptions): Promise<ConfigProblem | null> {
  const outdir = await mkdtemp(join(tmpdir(), "ngrok-gitops-bundle-"));
  try {
    const built = await runWrangler(["deploy", "--dry-run", "--outdir", outdir, "--config", options.config], { cwd: options.cwd, echo: false, ...(options.env ? { env: options.env } : {}) });
    if (built.status === 0) return null;
    const tail = built.output.trim().split("\n").slice(-8).join("\n    ");
    return { name: "bundle", message: `\`wrangler deploy --dry-run\` failed:\n    ${tail}` };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Exit code: 0 deployed (or, with dryRun, would deploy), 1 refused or wrangler failed. */
export async function deploy(options: DeployOptions): Promise<number> {
  const toml = await readFile(options.config, "utf8");
  let secrets: Secrets = {};
  const problems: ConfigProblem[] = [];
  try {
    secrets = await readSecrets(options.secretsPath);
  } catch (error) {
    problems.push({ name: options.secretsPath, message: error instanceof Error ? error.message : String(error) });
  }
  problems.push(...configurationProblems(toml, secrets, options.secretsPath));
  const bundle = await bundleProblem(options);
  if (bundle) problems.push(bundle);
  if (problems.length > 0) {
    for (const p of problems) options.out(`✗ ${p.name} ${p.message}`);
    options.out(`deploy refused: ${problems.length} problem${problems.length === 1 ? "" : "s"}, nothing was deployed (\`npm run setup\` fixes most; see docs/production.md)`);
    return 1;
  }
  options.out("✓ wrangler.toml: no placeholder, the TOKENS namespace id is set");
  options.out(`✓ configuration and secrets complete (${Object.keys(secrets).filter((n) => SECRETS.has(n)).sort().join(", ")} in ${options.secretsPath})`);
  options.out("✓ the bundle builds (wrangler deploy --dry-run)");
  const args = ["deploy", "--config", options.config, "--secrets-file", options.secretsPath];
  if (options.dryRun) {
    options.out(`dry run: would run wrangler ${args.join(" ")}`);
    return 0;
  }
  options.out(`running wrangler ${args.join(" ")}`);
  const result = await runWrangler(args, { cwd: options.cwd, echo: true, ...(options.env ? { env: options.env } : {}) });
  if (result.status !== 0) {
    options.out(`✗ wrangler deploy exited ${result.status}`);
    return 1;
  }
  options.out("✓ deployed; next: `npm run doctor -- https://<worker>` checks the wiring");
  return 0;
}
