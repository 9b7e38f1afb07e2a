// Entry of `npm run setup|deploy|doctor`: flags and defaults (wrangler.toml, .ngrok-gitops/secrets.json, GitHub's URLs), then the command; a failure prints its message, never a secret.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { webUrlFor } from "./app-manifest.js";
import { deploy } from "./deploy.js";
import { renderLines, runDoctor } from "./doctor.js";
import { readSecrets, SECRETS_FILE } from "./secrets-file.js";
import { setup } from "./setup.js";
import { readVars } from "./wrangler.js";

const USAGE = `usage:
  npm run setup -- [--dry-run] --repo owner/name --worker-url https://<worker> [--org ORG] [--app-name NAME] [--deliver] [--owner-id ID]
  npm run deploy -- [--dry-run]
  npm run doctor -- https://<worker> [--repo owner/name]
common: --config wrangler.toml  --secrets ${SECRETS_FILE}  --github-api-url URL (GITHUB_API_URL)  --github-url URL (GITHUB_URL)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: command === "doctor",
    options: {
      "dry-run": { type: "boolean", default: false },
      config: { type: "string", default: "wrangler.toml" },
      secrets: { type: "string", default: SECRETS_FILE },
      repo: { type: "string" },
      "owner-id": { type: "string" },
      "worker-url": { type: "string" },
      "app-name": { type: "string" },
      org: { type: "string" },
      deliver: { type: "boolean", default: false },
      port: { type: "string" },
      "github-api-url": { type: "string" },
      "github-url": { type: "string" },
    },
  });
  const cwd = process.cwd();
  const config = resolve(cwd, values.config);
  const secretsPath = values.secrets;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const vars = readVars(await readFile(config, "utf8"));
  const apiUrl = values["github-api-url"] ?? process.env["GITHUB_API_URL"] ?? vars["GITHUB_API_URL"] ?? "https://api.github.com";
  const webUrl = values["github-url"] ?? process.env["GITHUB_URL"] ?? webUrlFor(apiUrl);
  switch (command) {
    case "setup":
      return setup({
        cwd, config, secretsPath, dryRun: values["dry-run"], repository: values.repo, ownerId: values["owner-id"], workerUrl: values["worker-url"],
        appName: values["app-name"], org: values.org, deliver: values.deliver, webUrl, apiUrl, port: values.port === undefined ? undefined : Number(values.port),
        ngrokApiKey: process.env["NGROK_API_KEY"], out,
      });
    case "deploy":
      return deploy({ cwd, config, secretsPath, dryRun: values["dry-run"], out });
    case "doctor": {
      const workerUrl = positionals[0];
      if (!workerUrl || !/^https?:\/\//.test(workerUrl)) {
        process.stderr.write(`doctor needs the Worker's URL\n${USAGE}\n`);
        return 1;
      }
      const secrets = await readSecrets(secretsPath);
      const repository = values.repo ?? vars["GITHUB_REPOSITORY"] ?? process.env["GITHUB_REPOSITORY"] ?? "";
      const lines = await runDoctor({
        workerUrl, apiUrl, webUrl, repository,
        appId: process.env["GITHUB_APP_ID"] || secrets["GITHUB_APP_ID"],
        privateKey: process.env["GITHUB_APP_PRIVATE_KEY"] || secrets["GITHUB_APP_PRIVATE_KEY"],
        githubToken: process.env["GITHUB_TOKEN"],
      });
      out(`doctor: ${workerUrl} for ${repository}`);
      out(renderLines(lines));
      return lines.some((l) => l.result === "failed") ? 1 : 0;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 1;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const code = typeof error === "object" && error !== null && "code" in error ? ` [${String((error as { code: unknown }).code)}]` : "";
  process.stderr.write(`error${code}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
