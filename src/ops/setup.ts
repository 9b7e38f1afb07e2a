// `npm run setup`: wrangler.toml's repository vars, the generated secrets, the GitHub App (manifest flow), the KV namespace; each step says what it did, keeps what exists, and --dry-run only lists them.
import { readFile, writeFile } from "node:fs/promises";
import { PLACEHOLDERS } from "../config.js";
import { APP_EVENTS, installUrl, webhookUrl } from "./app-manifest.js";
import { appCallers } from "./github-api.js";
import { runManifestFlow } from "./manifest-flow.js";
import { GENERATED, readSecrets, writeSecrets, type Secrets } from "./secrets-file.js";
import { hasPlaceholderKvId, parseKvId, readVars, runWrangler, withKvId, withVar } from "./wrangler.js";

export interface SetupOptions {
  readonly cwd: string;
  readonly config: string;
  readonly secretsPath: string;
  readonly dryRun: boolean;
  /** `owner/name` holding credentials/; default wrangler.toml's when it is not the placeholder. */
  readonly repository?: string | undefined;
  readonly ownerId?: string | undefined;
  /** The Worker's origin, for the App's webhook URL. */
  readonly workerUrl?: string | undefined;
  readonly appName?: string | undefined;
  readonly org?: string | undefined;
  readonly deliver: boolean;
  readonly webUrl: string;
  readonly apiUrl: string;
  readonly port?: number | undefined;
  /** NGROK_API_KEY, when the environment has it. */
  readonly ngrokApiKey?: string | undefined;
  readonly out: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** A stable OWNER_ID for a repository: letters, digits, '.', '_' and '-', at most 63. */
export function ownerIdFor(repository: string): string {
  return `gitops-${repository.replace("/", "-")}`.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 63);
}

/** Returns the exit code: 0 when every step is done (or, dry, listed), 1 when one needs the user. */
export async function setup(o: SetupOptions): Promise<number> {
  const say = o.out;
  const would = o.dryRun ? "would " : "";
  let failed = false;
  const fail = (line: string) => {
    failed = true;
    say(`✗ ${line}`);
  };
  if (o.dryRun) say("setup --dry-run: lists each step; nothing is written, created or sent");

  // 1. wrangler.toml [vars]: the repository and this installation's OWNER_ID.
  let toml = await readFile(o.config, "utf8");
  const vars = readVars(toml);
  const current = vars["GITHUB_REPOSITORY"];
  const repository = o.repository ?? (current !== PLACEHOLDERS["GITHUB_REPOSITORY"] ? current : undefined);
  if (!repository || !/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
    fail("vars: GITHUB_REPOSITORY is wrangler.toml's placeholder: run setup with --repo owner/name (the repository holding credentials/)");
  } else {
    const updates: Array<[string, string]> = [];
    if (current !== repository) updates.push(["GITHUB_REPOSITORY", repository]);
    const owner = o.ownerId ?? (vars["OWNER_ID"] === PLACEHOLDERS["OWNER_ID"] ? ownerIdFor(repository) : undefined);
    if (owner && owner !== vars["OWNER_ID"]) updates.push(["OWNER_ID", owner]);
    for (const [name, value] of updates) toml = withVar(toml, name, value);
    if (updates.length === 0) say(`✓ vars: kept GITHUB_REPOSITORY ${repository} and OWNER_ID ${vars["OWNER_ID"]} in ${o.config}`);
    else say(`✓ vars: ${would}set ${updates.map(([n, v]) => `${n} = "${v}"`).join(", ")} in ${o.config}`);
    if (updates.length > 0 && !o.dryRun) await writeFile(o.config, toml);
  }

  // 2. Secrets generated here, each only when missing; the ngrok API key from the environment.
  const secrets: Secrets = await readSecrets(o.secretsPath);
  const generated: string[] = [];
  const kept: string[] = [];
  for (const [name, make] of Object.entries(GENERATED)) {
    if (secrets[name]) kept.push(name);
    else {
      generated.push(name);
      if (!o.dryRun) secrets[name] = make();
    }
  }
  if (o.ngrokApiKey && secrets["NGROK_API_KEY"] !== o.ngrokApiKey) {
    generated.push("NGROK_API_KEY (from the environment)");
    if (!o.dryRun) secrets["NGROK_API_KEY"] = o.ngrokApiKey;
  } else if (secrets["NGROK_API_KEY"]) kept.push("NGROK_API_KEY");
  if (!o.dryRun) await writeSecrets(o.secretsPath, secrets);
  say(`✓ secrets: ${generated.length > 0 ? `${would}write ${generated.join(", ")}` : "nothing new"}${kept.length > 0 ? `; kept ${kept.join(", ")}` : ""} (${o.secretsPath}, mode 0600, values never printed)`);
  if (!secrets["NGROK_API_KEY"] && !o.ngrokApiKey) fail("secrets: NGROK_API_KEY is missing: run `NGROK_API_KEY=… npm run setup` with a key from https://dashboard.ngrok.com/api-keys");

  // 3. The GitHub App, through GitHub's manifest flow.
  if (secrets["GITHUB_APP_ID"] && secrets["GITHUB_APP_PRIVATE_KEY"]) {
    say(`✓ github app: kept App ${secrets["GITHUB_APP_ID"]} (delete GITHUB_APP_ID from ${o.secretsPath} to create another)`);
  } else if (o.dryRun) {
    say(`${o.workerUrl && repository ? "✓" : "✗"} github app: would serve a page on 127.0.0.1 that posts the App manifest to ${o.webUrl} (webhook ${o.workerUrl ? webhookUrl(o.workerUrl) : "<--worker-url>/webhooks/github"}, events ${APP_EVENTS.join(" and ")}), then convert GitHub's code with POST /app-manifests/{code}/conversions into GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET`);
    if (!o.workerUrl) fail("github app: needs the Worker's URL for the webhook: run setup with --worker-url https://<name>.<subdomain>.workers.dev");
  } else if (!o.workerUrl) {
    fail("github app: needs the Worker's URL for the webhook: run setup with --worker-url https://<name>.<subdomain>.workers.dev");
  } else if (!repository) {
    fail("github app: needs --repo first");
  } else {
    const app = await runManifestFlow({
      webUrl: o.webUrl, apiUrl: o.apiUrl, ...(o.org ? { org: o.org } : {}), name: o.appName ?? `ngrok-gitops-${repository.split("/")[1] ?? ""}`.slice(0, 34),
      workerUrl: o.workerUrl, repository, deliver: o.deliver, ...(o.port === undefined ? {} : { port: o.port }),
      onListening: (url) => say(`  open ${url} in your browser to create the GitHub App (waiting…)`),
    });
    secrets["GITHUB_APP_ID"] = String(app.id);
    secrets["GITHUB_APP_PRIVATE_KEY"] = app.pem;
    if (app.webhookSecret) secrets["GITHUB_WEBHOOK_SECRET"] = app.webhookSecret;
    else {
      // No secret from GitHub: give the App ours, so every delivery is signed with what the Worker checks.
      const set = await appCallers(o.apiUrl, String(app.id), app.pem).app("PATCH", "/app/hook/config", { secret: secrets["GITHUB_WEBHOOK_SECRET"], content_type: "json" });
      if (set.status !== 200) fail(`github app: setting the webhook secret answered ${set.status}: set GITHUB_WEBHOOK_SECRET's value as the App's webhook secret by hand`);
    }
    await writeSecrets(o.secretsPath, secrets);
    say(`✓ github app: created ${app.slug} (id ${app.id}); its key and webhook secret are in ${o.secretsPath}`);
    say(`  next: install it on ${repository}: ${installUrl(o.webUrl, app.slug)}`);
  }

  // 4. The KV namespace for the encrypted tokens, titled after OWNER_ID: two deployments on one account get two.
  const title = `ngrok-gitops-tokens-${readVars(toml)["OWNER_ID"] ?? "default"}`;
  if (!hasPlaceholderKvId(toml)) {
    say(`✓ kv: kept the TOKENS namespace id in ${o.config}`);
  } else if (o.dryRun) {
    say(`✓ kv: would run \`wrangler kv namespace create ${title}\` and write its id into ${o.config} (binding TOKENS)`);
  } else {
    const created = await runWrangler(["kv", "namespace", "create", title, "--config", o.config], { cwd: o.cwd, echo: false, ...(o.env ? { env: o.env } : {}) });
    const id = created.status === 0 ? parseKvId(created.output) : undefined;
    if (!id) fail(`kv: \`wrangler kv namespace create ${title}\` ${created.status === 0 ? "printed no namespace id" : `exited ${created.status}`}:\n    ${created.output.trim().split("\n").slice(-6).join("\n    ")}\n    (logged in? \`npx wrangler login\`)`);
    else {
      await writeFile(o.config, withKvId(await readFile(o.config, "utf8"), id));
      say(`✓ kv: created the namespace ${title} (${id}) and wrote its id into ${o.config} (binding TOKENS)`);
    }
  }
  say(failed ? "setup incomplete: fix the ✗ lines and run it again (done steps are kept)" : o.dryRun ? "dry run done" : "setup done; next: `npm run deploy`");
  return failed ? 1 : 0;
}
