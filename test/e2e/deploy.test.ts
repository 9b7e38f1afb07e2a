// `npm run deploy`: refuses, listing every problem and running no deploy; builds the bundle with the real `wrangler deploy --dry-run`; deploys through WRANGLER with the secrets file, never printing a secret.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyringEntry } from "../../src/vault/keyring.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RECORDER = `#!/usr/bin/env node
require("fs").appendFileSync(process.env.WRANGLER_RECORD, JSON.stringify(process.argv.slice(2)) + "\\n");
`;
const SECRETS = {
  NGROK_API_KEY: "deploy-test-ngrok-key-0123456789",
  GITHUB_WEBHOOK_SECRET: "deploy-test-webhook-secret-0123456789",
  GITHUB_TOKEN: "deploy-test-github-token-0123456789",
  TOKEN_ENCRYPTION_KEYS: generateKeyringEntry("k1"),
  ADMIN_TOKEN: "deploy-test-admin-token-0123456789-0123456789",
};

let dir = "";
let shipped = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-deploy-"));
  shipped = (await readFile(join(ROOT, "wrangler.toml"), "utf8")).replace('main = "src/index.ts"', `main = ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  await writeFile(join(dir, "wrangler"), RECORDER);
  await chmod(join(dir, "wrangler"), 0o755);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const configured = (toml: string) =>
  toml.replace('id = "00000000000000000000000000000000"', 'id = "0123456789abcdef0123456789abcdef"').replace('GITHUB_REPOSITORY = "acme/infra"', 'GITHUB_REPOSITORY = "octocat/infra"').replace('OWNER_ID = "ngrok-gitops"', 'OWNER_ID = "gitops-octocat-infra"');

async function write(name: string, toml: string, secrets: Record<string, string> | null): Promise<{ config: string; secrets: string; record: string }> {
  const config = join(dir, `${name}.toml`);
  await writeFile(config, toml);
  const secretsPath = join(dir, `${name}.secrets.json`);
  if (secrets) await writeFile(secretsPath, JSON.stringify(secrets));
  return { config, secrets: secretsPath, record: join(dir, `${name}.wrangler.log`) };
}

function deploy(files: { config: string; secrets: string; record: string }, args: string[], wrangler: "recorder" | "real"): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_RECORD: files.record };
    if (wrangler === "recorder") env["WRANGLER"] = join(dir, "wrangler");
    else delete env["WRANGLER"];
    const child = spawn(process.execPath, ["--import", "tsx", "src/ops/main.ts", "deploy", "--config", files.config, "--secrets", files.secrets, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

const calls = async (record: string) => (await readFile(record, "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]);

describe("npm run deploy", () => {
  it("refuses wrangler.toml as shipped, listing every problem, and runs no deploy", async () => {
    const files = await write("shipped", shipped, null);
    const ran = await deploy(files, [], "recorder");
    expect(ran.code).toBe(1);
    for (const name of ["kv_namespaces.TOKENS.id", "GITHUB_REPOSITORY", "OWNER_ID", "NGROK_API_KEY", "TOKEN_ENCRYPTION_KEYS", "GITHUB_WEBHOOK_SECRET", "ADMIN_TOKEN", "GITHUB_APP_ID"]) {
      expect(ran.output).toContain(`✗ ${name} `);
    }
    expect(ran.output).toContain("deploy refused: 8 problems, nothing was deployed");
    // Only the bundle was built (a dry run); nothing was deployed.
    expect((await calls(files.record)).map((a) => a.slice(0, 2))).toEqual([["deploy", "--dry-run"]]);
    expect(await readFile(files.config, "utf8")).toBe(shipped);
  });

  it("refuses a configured wrangler.toml whose secrets are short or missing, naming them and not their values", async () => {
    const { ADMIN_TOKEN: _, ...rest } = SECRETS;
    const files = await write("short", configured(shipped), { ...rest, ADMIN_TOKEN: "short-admin-token" });
    const ran = await deploy(files, [], "recorder");
    expect(ran.code).toBe(1);
    expect(ran.output).toContain("✗ ADMIN_TOKEN is shorter than 32 characters");
    expect(ran.output).not.toContain("short-admin-token");
    expect(ran.output).toContain("deploy refused: 1 problem,");
    expect((await calls(files.record)).filter((a) => !a.includes("--dry-run"))).toEqual([]);
  });

  it("refuses when the bundle does not build (the real wrangler deploy --dry-run)", async () => {
    const broken = join(dir, "broken.ts");
    await writeFile(broken, "export default { fetch( {\n");
    const files = await write("broken", configured(shipped).replace(/^main = .*$/m, `main = ${JSON.stringify(broken)}`), SECRETS);
    const ran = await deploy(files, [], "real");
    expect(ran.code).toBe(1);
    expect(ran.output).toContain("✗ bundle `wrangler deploy --dry-run` failed");
    expect(ran.output).toContain("deploy refused: 1 problem,");
  });

  it("--dry-run: every check passes, the real wrangler builds the bundle, nothing is deployed", async () => {
    const files = await write("dry", configured(shipped), SECRETS);
    const ran = await deploy(files, ["--dry-run"], "real");
    expect(ran.code, ran.output).toBe(0);
    expect(ran.output).toContain("✓ the bundle builds (wrangler deploy --dry-run)");
    expect(ran.output).toContain(`dry run: would run wrangler deploy --config ${files.config} --secrets-file ${files.secrets}`);
    for (const value of Object.values(SECRETS)) expect(ran.output).not.toContain(value);
  });

  it("with every check passing, runs wrangler deploy with the secrets file", async () => {
    const files = await write("ok", configured(shipped), SECRETS);
    const ran = await deploy(files, [], "recorder");
    expect(ran.code, ran.output).toBe(0);
    const made = await calls(files.record);
    expect(made.map((a) => a.slice(0, 2))).toEqual([["deploy", "--dry-run"], ["deploy", "--config"]]);
    expect(made[1]).toEqual(["deploy", "--config", files.config, "--secrets-file", files.secrets]);
    for (const value of Object.values(SECRETS)) expect(ran.output).not.toContain(value);
  });
});
