// The GitHub App ngrok-gitops needs, as a manifest for GitHub's manifest flow: its permissions and events (one list, which doctor checks too), the local page that posts it, and the conversion's answer.
import { WEBHOOK_EVENTS } from "../github/events.js";
import { CHECK_NAME } from "../github/feedback.js";

export type Permissions = Readonly<Record<string, "read" | "write">>;

/** Repository permissions every deployment uses: specs (contents), plan comments, drift issues, check runs, statuses (README: GitHub App or token). */
export const APP_PERMISSIONS: Permissions = {
  metadata: "read",
  contents: "read",
  pull_requests: "write",
  issues: "write",
  checks: "write",
  statuses: "write",
};

/** Only for specs that `deliver`: the most powerful permissions the App could hold, so asked for only with setup's --deliver. */
export const DELIVERY_PERMISSIONS: Permissions = { secrets: "write", environments: "write", organization_secrets: "write" };

/** The App subscribes to exactly the events the webhook route acts on. */
export const APP_EVENTS: readonly string[] = WEBHOOK_EVENTS;

/** The check a protected default branch should require before merging. */
export const PLAN_CHECK = CHECK_NAME;

export const WEBHOOK_PATH = "/webhooks/github";

export interface ManifestInput {
  /** The App's name on GitHub (34 characters at most, unique on GitHub). */
  readonly name: string;
  /** The deployed Worker's origin, e.g. https://ngrok-gitops.example.workers.dev. */
  readonly workerUrl: string;
  /** Where GitHub sends the browser back with the code (setup's local page). */
  readonly redirectUrl: string;
  /** The repository the App is for (its homepage). */
  readonly repository: string;
  /** github.com, or the stand-in. */
  readonly webUrl: string;
  /** Also ask for DELIVERY_PERMISSIONS. */
  readonly deliver?: boolean;
}

export function webhookUrl(workerUrl: string): string {
  return `${workerUrl.replace(/\/+$/, "")}${WEBHOOK_PATH}`;
}

/** The manifest JSON GitHub documents: `url` and `hook_attributes.url` required, private App, our permissions and events. */
export function buildManifest(input: ManifestInput) {
  return {
    name: input.name,
    url: `${input.webUrl.replace(/\/+$/, "")}/${input.repository}`,
    description: `ngrok-gitops: reconciles ngrok credentials from ${input.repository}'s credentials/`,
    hook_attributes: { url: webhookUrl(input.workerUrl), active: true },
    redirect_url: input.redirectUrl,
    public: false,
    default_permissions: { ...APP_PERMISSIONS, ...(input.deliver ? DELIVERY_PERMISSIONS : {}) },
    default_events: [...APP_EVENTS],
  };
}

/** Where the manifest is posted: a user's or an organization's "new GitHub App" page, with the CSRF state. */
export function manifestFormAction(webUrl: string, org: string | undefined, state: string): string {
  const base = webUrl.replace(/\/+$/, "");
  const path = org ? `/organizations/${encodeURIComponent(org)}/settings/apps/new` : "/settings/apps/new";
  return `${base}${path}?state=${encodeURIComponent(state)}`;
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** setup's local page: one button posting the manifest to GitHub. */
export function manifestPage(action: string, manifest: unknown): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ngrok-gitops setup: create the GitHub App</title></head>
<body><h1>Create the ngrok-gitops GitHub App</h1>
<p>GitHub will ask you to confirm the App's name, then send you back here.</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit" id="create">Create GitHub App on GitHub</button></form></body></html>`;
}

export function resultPage(title: string, lines: readonly string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join("")}</body></html>`;
}

/** What setup keeps from POST /app-manifests/{code}/conversions. */
export interface ConvertedApp {
  readonly id: number;
  readonly slug: string;
  readonly htmlUrl: string;
  readonly pem: string;
  readonly webhookSecret: string | null;
}

export class ManifestError extends Error {
  readonly code = "MANIFEST_FLOW_FAILED";
}

export function parseConversion(body: unknown): ConvertedApp {
  const o = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const { id, slug, pem, html_url: htmlUrl, webhook_secret: webhookSecret } = o;
  if (typeof id !== "number" || typeof slug !== "string" || typeof pem !== "string" || !pem.includes("PRIVATE KEY")) {
    throw new ManifestError("GitHub's conversion answered without the App's id, slug and private key");
  }
  return { id, slug, pem, htmlUrl: typeof htmlUrl === "string" ? htmlUrl : "", webhookSecret: typeof webhookSecret === "string" && webhookSecret !== "" ? webhookSecret : null };
}

/** The page that installs the App (GitHub: https://github.com/apps/{slug}/installations/new). */
export function installUrl(webUrl: string, slug: string): string {
  return `${webUrl.replace(/\/+$/, "")}/apps/${encodeURIComponent(slug)}/installations/new`;
}

/** github.com for api.github.com, the host for a GHES `/api/v3`, else the same origin (the stand-in serves both). */
export function webUrlFor(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, "").replace(/\/+$/, "")}`;
}
