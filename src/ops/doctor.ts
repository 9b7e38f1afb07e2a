// `npm run doctor -- URL`: is a deployed Worker wired right? /healthz, the App's webhook URL and events, its installation and permissions, the default branch's required plan check; each line ✓ or ✗ with the fix.
import { APP_EVENTS, APP_PERMISSIONS, installUrl, PLAN_CHECK, webhookUrl } from "./app-manifest.js";
import { appCallers, caller, type Call } from "./github-api.js";

export interface DoctorInput {
  /** The Worker's origin, e.g. https://ngrok-gitops.example.workers.dev. */
  readonly workerUrl: string;
  readonly apiUrl: string;
  readonly webUrl: string;
  readonly repository: string;
  readonly appId?: string | undefined;
  readonly privateKey?: string | undefined;
  /** An admin's token, to read branch protection the App's installation cannot read. */
  readonly githubToken?: string | undefined;
}

/** ok: ✓; failed: ✗ (with the fix); skipped: – (could not be checked, with how to check by hand). */
export interface CheckLine {
  readonly result: "ok" | "failed" | "skipped";
  readonly text: string;
  readonly fix?: string;
}

const ok = (text: string): CheckLine => ({ result: "ok", text });
const failed = (text: string, fix: string): CheckLine => ({ result: "failed", text, fix });
const skipped = (text: string, fix: string): CheckLine => ({ result: "skipped", text, fix });
const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const message = (v: unknown) => String(record(v)["message"] ?? "");

export async function checkHealth(workerUrl: string): Promise<CheckLine> {
  const url = `${workerUrl.replace(/\/+$/, "")}/healthz`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { "user-agent": "ngrok-gitops-doctor" } });
  } catch (error) {
    return failed(`${url} is not reachable (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`, "check the URL, or deploy with `npm run deploy`");
  }
  const body = record(await res.json().catch(() => null));
  if (res.status === 200 && body["ok"] === true) return ok(`${url} answers {"ok":true}`);
  const errors = Array.isArray(body["config_errors"]) ? body["config_errors"].map(String) : [];
  if (errors.length > 0) return failed(`${url} answers ${res.status}: ${errors.join("; ")}`, "fix these in wrangler.toml [vars] or the secrets (`npm run setup`), then `npm run deploy`");
  return failed(`${url} answers ${res.status}, not the Worker's {"ok":true}`, "is this the ngrok-gitops Worker? `npm run deploy` prints its URL");
}

/** Permissions `have` lacks of `need` (write covers read). */
export function missingPermissions(have: Record<string, unknown>, need: Readonly<Record<string, "read" | "write">>): string[] {
  return Object.entries(need)
    .filter(([name, level]) => !(have[name] === "write" || have[name] === "admin" || (level === "read" && have[name] === "read")))
    .map(([name, level]) => `${name}:${level}`);
}

async function checkApp(input: DoctorInput, app: Call): Promise<{ lines: CheckLine[]; htmlUrl: string; slug: string } | { lines: CheckLine[] }> {
  const found = await app("GET", "/app");
  if (found.status !== 200) return { lines: [failed(`GITHUB_APP_ID ${input.appId} with its private key does not authenticate as a GitHub App (GET /app: ${found.status} ${message(found.json)})`, "put the App's id and a current private key in .ngrok-gitops/secrets.json (`npm run setup`), then `npm run deploy`")] };
  const info = record(found.json);
  const slug = String(info["slug"] ?? "");
  const htmlUrl = String(info["html_url"] ?? "");
  const lines: CheckLine[] = [ok(`GitHub App ${slug} (id ${String(info["id"])})`)];
  const expected = webhookUrl(input.workerUrl);
  const hook = await app("GET", "/app/hook/config");
  const hookUrl = String(record(hook.json)["url"] ?? "");
  if (hook.status !== 200 || hookUrl === "") lines.push(failed("the App has no webhook URL", `set Webhook URL to ${expected} in the App's settings (${htmlUrl}) or PATCH /app/hook/config`));
  else if (hookUrl !== expected) lines.push(failed(`the App's webhook URL is ${hookUrl}, not this Worker`, `set Webhook URL to ${expected} in the App's settings (${htmlUrl})`));
  else if (record(hook.json)["content_type"] !== "json") lines.push(failed(`the App's webhook sends ${String(record(hook.json)["content_type"])}, not JSON`, "set the webhook's content type to application/json in the App's settings"));
  else lines.push(ok(`webhook URL is ${expected} (JSON)`));
  const events = Array.isArray(info["events"]) ? info["events"].map(String) : [];
  const missingEvents = APP_EVENTS.filter((e) => !events.includes(e));
  if (missingEvents.length > 0) lines.push(failed(`the App is not subscribed to ${missingEvents.join(", ")}`, `App settings (${htmlUrl}) → Permissions & events → Subscribe to events: ${APP_EVENTS.join(", ")}`));
  else lines.push(ok(`subscribed to ${APP_EVENTS.join(", ")}`));
  return { lines, htmlUrl, slug };
}

async function checkProtection(input: DoctorInput, reader: Call, via: string): Promise<CheckLine> {
  const [owner = "", name = ""] = input.repository.split("/");
  const repo = await reader("GET", `/repos/${owner}/${name}`);
  const branch = String(record(repo.json)["default_branch"] ?? "");
  if (repo.status !== 200 || !branch) return skipped(`branch protection: ${input.repository} is not readable ${via} (${repo.status})`, "check Settings → Branches by hand");
  const path = `/repos/${owner}/${name}/branches/${encodeURIComponent(branch)}/protection`;
  const where = `Settings → Branches → ${branch}: require status check ${PLAN_CHECK}`;
  const got = await reader("GET", path);
  if (got.status === 404 && message(got.json) === "Branch not protected") return failed(`${branch} is not protected: a pull request can merge without a plan`, where);
  if (got.status !== 200) return skipped(`branch protection of ${branch} is not readable ${via} (${got.status} ${message(got.json)})`, `check ${where}, or run doctor with GITHUB_TOKEN set to a repository admin's token`);
  const rsc = record(record(got.json)["required_status_checks"]);
  const contexts = [...(Array.isArray(rsc["contexts"]) ? rsc["contexts"] : []), ...(Array.isArray(rsc["checks"]) ? rsc["checks"].map((c) => record(c)["context"]) : [])].map(String);
  if (!contexts.includes(PLAN_CHECK)) return failed(`${branch}'s protection does not require ${PLAN_CHECK}`, where);
  return ok(`${branch} requires the ${PLAN_CHECK} check`);
}

/** Every check, in order; later ones are skipped when what they need failed. */
export async function runDoctor(input: DoctorInput): Promise<CheckLine[]> {
  const lines: CheckLine[] = [await checkHealth(input.workerUrl)];
  const token = input.githubToken ? caller(input.apiUrl, async () => `token ${input.githubToken}`) : null;
  if (!input.appId || !input.privateKey) {
    lines.push(failed("no GitHub App credentials (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)", "run `npm run setup` (it creates the App and keeps them in .ngrok-gitops/secrets.json)"));
    if (token) lines.push(await checkProtection(input, token, "with GITHUB_TOKEN"));
    return lines;
  }
  const callers = appCallers(input.apiUrl, input.appId, input.privateKey);
  const app = await checkApp(input, callers.app);
  lines.push(...app.lines);
  if (!("slug" in app)) return lines;
  const [owner = "", name = ""] = input.repository.split("/");
  const found = await callers.app("GET", `/repos/${owner}/${name}/installation`);
  if (found.status !== 200) {
    lines.push(failed(`the App is not installed on ${input.repository}`, `install it: ${installUrl(input.webUrl, app.slug)}`));
    if (token) lines.push(await checkProtection(input, token, "with GITHUB_TOKEN"));
    return lines;
  }
  const installation = record(found.json);
  const missing = missingPermissions(record(installation["permissions"]), APP_PERMISSIONS);
  if (missing.length > 0) lines.push(failed(`installed on ${input.repository} without ${missing.join(", ")}`, `grant them in the App's settings (${app.htmlUrl}) and accept them on the installation (${String(installation["html_url"] ?? "")})`));
  else lines.push(ok(`installed on ${input.repository} (installation ${String(installation["id"])}) with the permissions it needs`));
  const reader = token ?? callers.installation(Number(installation["id"]));
  lines.push(await checkProtection(input, reader, token ? "with GITHUB_TOKEN" : "with the App's installation token"));
  return lines;
}

const MARK = { ok: "✓", failed: "✗", skipped: "–" } as const;

export function renderLines(lines: readonly CheckLine[]): string {
  return lines.map((l) => `${MARK[l.result]} ${l.text}${l.fix ? `\n    → ${l.fix}` : ""}`).join("\n");
}
