// GitHub's App manifest, as "Registering a GitHub App from a manifest" documents it: the parameters, GitHub's checks on them, and the App (with key, secrets and a one-hour code) it registers.
import { generateAppKeyPair } from "./app-auth.js";
import type { Permission, Permissions } from "./apps.js";

export const MANIFEST_DOCS = "https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest";

export interface Manifest {
  readonly name: string | null;
  readonly url: string;
  readonly description: string;
  readonly hook: { readonly url: string; readonly active: boolean } | null;
  readonly redirectUrl: string | null;
  readonly setupUrl: string | null;
  readonly public: boolean;
  readonly permissions: Permissions;
  readonly events: readonly string[];
}

/** The permission each event needs (GitHub refuses a subscription the permissions do not cover); metadata is always granted. */
const EVENT_NEEDS: Readonly<Record<string, readonly string[]>> = {
  push: ["contents"],
  pull_request: ["pull_requests"],
  pull_request_review: ["pull_requests"],
  issue_comment: ["issues", "pull_requests"],
  issues: ["issues"],
  check_run: ["checks"],
  check_suite: ["checks"],
  status: ["statuses"],
  create: ["contents"],
  delete: ["contents"],
  repository: ["metadata"],
  meta: [],
};

const PERMISSIONS = new Set([
  "actions", "administration", "checks", "contents", "deployments", "environments", "issues", "metadata", "packages", "pages",
  "pull_requests", "repository_hooks", "repository_projects", "secret_scanning_alerts", "secrets", "security_events", "statuses",
  "vulnerability_alerts", "workflows", "members", "organization_administration", "organization_secrets", "organization_hooks",
]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function httpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Parses the posted `manifest` field; every problem GitHub would show, or the manifest. */
export function parseManifest(text: string): { ok: true; manifest: Manifest } | { ok: false; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, errors: ["Manifest is not valid JSON"] };
  }
  if (!isRecord(raw)) return { ok: false, errors: ["Manifest must be a JSON object"] };
  const errors: string[] = [];
  if (!httpUrl(raw["url"])) errors.push("Url is required (the App's homepage, a full URL)");
  let hook: Manifest["hook"] = null;
  const hookAttributes = raw["hook_attributes"];
  if (hookAttributes !== undefined) {
    if (!isRecord(hookAttributes) || !httpUrl(hookAttributes["url"])) errors.push("Hook attributes url is required when hook_attributes is given");
    else hook = { url: String(hookAttributes["url"]), active: hookAttributes["active"] !== false };
  }
  for (const field of ["redirect_url", "setup_url"]) if (raw[field] !== undefined && !httpUrl(raw[field])) errors.push(`${field} must be a full URL`);
  const permissions: Record<string, Permission> = { metadata: "read" };
  const asked = raw["default_permissions"] ?? {};
  if (!isRecord(asked)) errors.push("default_permissions must be an object of permission: read|write");
  else
    for (const [name, level] of Object.entries(asked)) {
      if (!PERMISSIONS.has(name)) errors.push(`Default permission ${name} is not a GitHub App permission`);
      else if (level !== "read" && level !== "write") errors.push(`Default permission ${name} must be read or write`);
      else permissions[name] = level;
    }
  const events: string[] = [];
  const askedEvents = raw["default_events"] ?? [];
  if (!Array.isArray(askedEvents)) errors.push("default_events must be a list of event names");
  else
    for (const event of askedEvents) {
      const needs = typeof event === "string" ? EVENT_NEEDS[event] : undefined;
      if (needs === undefined) errors.push(`Default event ${String(event)} is not a webhook event`);
      else if (needs.length > 0 && !needs.some((p) => permissions[p])) errors.push(`Default events unsupported: ${event} needs the ${needs.join(" or ")} permission`);
      else events.push(event as string);
    }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    manifest: {
      name: typeof raw["name"] === "string" ? raw["name"] : null,
      url: String(raw["url"]),
      description: typeof raw["description"] === "string" ? raw["description"] : "",
      hook,
      redirectUrl: typeof raw["redirect_url"] === "string" ? raw["redirect_url"] : null,
      setupUrl: typeof raw["setup_url"] === "string" ? raw["setup_url"] : null,
      public: raw["public"] === true,
      permissions,
      events,
    },
  };
}

/** GitHub's checks on the name typed on the registration page. */
export function nameProblems(name: string, taken: boolean): string[] {
  if (name.trim() === "") return ["Name can't be blank"];
  if (name.length > 34) return ["Name is too long (maximum is 34 characters)"];
  if (taken) return ["Name is already in use"];
  return [];
}

export function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What registering an App hands out once: the key (PKCS#1, as GitHub's download), the webhook and client secrets. */
export interface Registration {
  readonly pem: string;
  readonly publicKey: CryptoKey;
  readonly webhookSecret: string | null;
  readonly clientSecret: string;
}

export async function newRegistration(manifest: Manifest): Promise<Registration> {
  const keys = await generateAppKeyPair();
  return { pem: keys.privateKeyPkcs1Pem, publicKey: keys.publicKey, webhookSecret: manifest.hook ? randomHex(20) : null, clientSecret: randomHex(20) };
}

/** A manifest code: valid for one hour and for one conversion (GitHub's documented limits). */
export const CODE_TTL_MS = 60 * 60 * 1000;
