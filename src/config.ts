// Runtime configuration, one parser for the Worker and the CLI: every bad or placeholder value is reported by name, never a secret's value.
import { NGROK_RATE_LIMIT, parseRateLimit, type RateLimit } from "./ngrok/rate-limit.js";
import { DURATION_PATTERN, parseDuration } from "./desired/duration.js";

export interface Config {
  repository: string;
  ownerId: string;
  driftMode: "correct" | "report";
  maxDeletes: number;
  maxSubrequests: number;
  /** MAX_CPU_MS: the CPU one invocation may use (Workers Free: 10), kept as work units (src/run/cpu-units.ts). */
  maxCpuMs: number;
  ngrokApiUrl: string;
  githubApiUrl: string;
  rotationGraceMs: number;
  /** rotate_after for specs that set none; undefined = never. */
  defaultRotateAfterMs: number | undefined;
  /** Audit entries older than this many days are dropped. */
  auditRetentionDays: number;
  /** How long before a spec's `expires` plans announce it and the drift issue lists it (EXPIRY_WARNING, default 7d). */
  expiryWarningMs: number;
  /** The ngrok account's API budget the client paces itself to (NGROK_RATE_LIMIT, default ngrok's 120/60s). */
  ngrokRateLimit: RateLimit | "off";
}

/** One bad or placeholder value: its name and what is wrong, never the value of a secret. */
export interface ConfigProblem {
  name: string;
  message: string;
}

/** `NAME: what is wrong`, as /healthz, /api/status, the webhook's 503 and ConfigError show a problem. */
export function problemLine(problem: ConfigProblem): string {
  return `${problem.name}: ${problem.message}`;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration: ${problems.map(problemLine).join("; ")}`);
    this.name = "ConfigError";
  }
}

export const DEFAULTS = { driftMode: "correct", maxDeletes: 10, maxSubrequests: 50, maxCpuMs: 10, rotationGraceMs: 3_600_000, expiryWarningMs: 7 * 86_400_000, auditRetentionDays: 400, ngrokApiUrl: "https://api.ngrok.com", githubApiUrl: "https://api.github.com" } as const;

/** Subrequests an invocation keeps back for reporting to GitHub; MAX_SUBREQUESTS must leave room for work beyond it. */
export const REPORT_RESERVE = 8;
export const MIN_SUBREQUESTS = REPORT_RESERVE + 2;

/** The values wrangler.toml ships with: a deployment that still has them was never configured. */
export const PLACEHOLDERS: Readonly<Record<string, string>> = { GITHUB_REPOSITORY: "acme/infra", OWNER_ID: "ngrok-gitops" };

export type Vars = Readonly<Record<string, string | undefined>>;

export interface ParseOptions {
  /** "worker": GitHub and the secrets are required; "cli": only what plan/apply use. */
  for: "worker" | "cli";
  /** Defaults where the variable is unset (the CLI defaults OWNER_ID; the Worker never does). */
  defaults?: Partial<Record<string, string>>;
}

/** Parses everything at once: a config, or every problem found. */
export function readConfig(vars: Vars, options: ParseOptions = { for: "worker" }): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
  const get = (name: string): string | undefined => {
    const value = vars[name];
    return value === undefined || value === "" ? options.defaults?.[name] : value;
  };
  const problems: ConfigProblem[] = [];
  const bad = (name: string, message: string) => problems.push({ name, message });
  const worker = options.for === "worker";

  const repository = get("GITHUB_REPOSITORY") ?? "";
  if (worker) {
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) bad("GITHUB_REPOSITORY", "must be owner/name");
    else if (repository === PLACEHOLDERS.GITHUB_REPOSITORY) bad("GITHUB_REPOSITORY", "is wrangler.toml's placeholder; set the repository that holds credentials/");
  }
  const ownerId = get("OWNER_ID") ?? "";
  if (!ownerId) bad("OWNER_ID", "must be set: it identifies this installation's credentials");
  else if (worker && ownerId === PLACEHOLDERS.OWNER_ID) bad("OWNER_ID", "is wrangler.toml's placeholder; choose a name unique to this installation");
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(ownerId)) bad("OWNER_ID", "must be 1-63 letters, digits, '.', '_' or '-'");
  const driftMode = get("DRIFT_MODE") ?? DEFAULTS.driftMode;
  if (driftMode !== "correct" && driftMode !== "report") bad("DRIFT_MODE", 'must be "correct" or "report"');
  const maxDeletes = wholeNumber(get, "MAX_DELETES", DEFAULTS.maxDeletes, 0, bad);
  const maxSubrequests = wholeNumber(get, "MAX_SUBREQUESTS", DEFAULTS.maxSubrequests, MIN_SUBREQUESTS, bad, `at least ${MIN_SUBREQUESTS}: ${REPORT_RESERVE} are kept for reporting and a change needs 2`);
  const maxCpuMs = wholeNumber(get, "MAX_CPU_MS", DEFAULTS.maxCpuMs, 1, bad);
  const auditRetentionDays = wholeNumber(get, "AUDIT_RETENTION_DAYS", DEFAULTS.auditRetentionDays, 1, bad);
  const rotationGraceMs = duration(get, "ROTATION_GRACE", bad) ?? DEFAULTS.rotationGraceMs;
  const defaultRotateAfterMs = duration(get, "ROTATE_AFTER", bad);
  const expiryWarningMs = duration(get, "EXPIRY_WARNING", bad) ?? DEFAULTS.expiryWarningMs;
  const ngrokRateLimit = rateLimit(get, bad);
  const ngrokApiUrl = url(get, "NGROK_API_URL", DEFAULTS.ngrokApiUrl, bad);
  const githubApiUrl = url(get, "GITHUB_API_URL", DEFAULTS.githubApiUrl, bad);
  if (worker) {
    // Secrets: only whether they are set, never what they hold.
    for (const name of ["NGROK_API_KEY", "TOKEN_ENCRYPTION_KEYS", "GITHUB_WEBHOOK_SECRET", "ADMIN_TOKEN"]) if (!get(name)) bad(name, "is not set (a secret: `wrangler secret put " + name + "`)");
    if (!(get("GITHUB_APP_ID") && get("GITHUB_APP_PRIVATE_KEY")) && !get("GITHUB_TOKEN")) bad("GITHUB_APP_ID", "GitHub access is not set: GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY, or GITHUB_TOKEN");
    const keys = get("TOKEN_ENCRYPTION_KEYS");
    if (keys && !/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+)*$/.test(keys.replace(/\s/g, ""))) bad("TOKEN_ENCRYPTION_KEYS", "must be kid:base64key[,kid:base64key...]");
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { repository, ownerId, driftMode: driftMode as Config["driftMode"], maxDeletes, maxSubrequests, maxCpuMs, ngrokApiUrl, githubApiUrl, rotationGraceMs, defaultRotateAfterMs, auditRetentionDays, expiryWarningMs, ngrokRateLimit } };
}

/** The Worker's configuration, or a ConfigError listing every problem. */
export function parseConfig(env: Env | Vars): Config {
  const read = readConfig(env as unknown as Vars, { for: "worker" });
  if (!read.ok) throw new ConfigError(read.problems);
  return read.config;
}

/** The problems of the Worker's configuration, for /healthz and /api/status (empty when it is fine). */
export function configProblems(env: Env | Vars): ConfigProblem[] {
  const read = readConfig(env as unknown as Vars, { for: "worker" });
  return read.ok ? [] : read.problems;
}

type Get = (name: string) => string | undefined;
type Bad = (name: string, message: string) => void;

function duration(get: Get, name: string, bad: Bad): number | undefined {
  const value = get(name);
  if (value === undefined) return undefined;
  if (!DURATION_PATTERN.test(value)) {
    bad(name, "must be a duration like 1h or 90d");
    return undefined;
  }
  return parseDuration(value);
}

function wholeNumber(get: Get, name: string, fallback: number, min: number, bad: Bad, why?: string): number {
  const value = get(name)?.trim();
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) {
    bad(name, `must be a whole number${min > 0 ? ` ≥ ${min}` : " ≥ 0"}`);
    return fallback;
  }
  const n = Number.parseInt(value, 10);
  if (n < min) bad(name, why ? `must be ${why}` : `must be at least ${min}`);
  return n;
}

function url(get: Get, name: string, fallback: string, bad: Bad): string {
  const value = get(name) ?? fallback;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") bad(name, "must be an http(s) URL");
  } catch {
    bad(name, "is not a URL");
  }
  return value;
}

/** wrangler.toml's placeholder KV namespace id: the Worker cannot see its binding's id, so this is checked before deploy. */
export const PLACEHOLDER_KV_ID = "00000000000000000000000000000000";

/**
 * Problems a deploy would ship with, read from wrangler.toml's text: the placeholder KV id and the [vars]
 * placeholders (for a pre-deploy check; the running Worker reports the vars itself on /healthz).
 */
export function deployProblems(wranglerToml: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (wranglerToml.includes(`"${PLACEHOLDER_KV_ID}"`)) problems.push({ name: "kv_namespaces.TOKENS.id", message: "is wrangler.toml's placeholder; put the id `wrangler kv namespace create TOKENS` printed" });
  for (const [name, value] of Object.entries(PLACEHOLDERS)) {
    if (new RegExp(`^\\s*${name}\\s*=\\s*"${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"`, "m").test(wranglerToml)) problems.push({ name, message: "is wrangler.toml's placeholder" });
  }
  return problems;
}

function rateLimit(get: (name: string) => string | undefined, bad: (name: string, message: string) => void): RateLimit | "off" {
  const value = get("NGROK_RATE_LIMIT");
  if (value === undefined) return NGROK_RATE_LIMIT;
  try {
    return parseRateLimit(value);
  } catch {
    bad("NGROK_RATE_LIMIT", 'must be requests per window, e.g. "120/60s", or "off"');
    return NGROK_RATE_LIMIT;
  }
}
