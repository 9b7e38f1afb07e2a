// Branch protection as GitHub's REST API documents it (PUT/GET …/branches/{branch}/protection): the four required fields, status checks by context or app, the bodies GitHub answers.
import { GitHubError, invalidRequest, notSupplied } from "./errors.js";

export const PROTECTION_DOCS = "https://docs.github.com/rest/branches/branch-protection#get-branch-protection";

export interface StatusCheck {
  readonly context: string;
  /** The App that must set it; null = any source. */
  readonly app_id: number | null;
}

export interface Protection {
  readonly requiredStatusChecks: { readonly strict: boolean; readonly checks: readonly StatusCheck[] } | null;
  readonly enforceAdmins: boolean;
  readonly requiredApprovingReviewCount: number | null;
  readonly restricted: boolean;
}

const REQUIRED = ["required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates a PUT body as GitHub does: every one of the four fields present (null allowed), checks as strings or {context, app_id}. */
export function parseProtection(body: Record<string, unknown>): Protection {
  const missing = REQUIRED.filter((k) => !(k in body));
  if (missing.length > 0) throw invalidRequest(notSupplied(missing), PROTECTION_DOCS);
  const rsc = body["required_status_checks"];
  let requiredStatusChecks: Protection["requiredStatusChecks"] = null;
  if (rsc !== null) {
    if (!isRecord(rsc)) throw invalidRequest(`For 'properties/required_status_checks', ${JSON.stringify(rsc)} is not an object or null.`, PROTECTION_DOCS);
    if (typeof rsc["strict"] !== "boolean") throw invalidRequest(`"strict" wasn't supplied.`, PROTECTION_DOCS);
    const checks: StatusCheck[] = [];
    if (Array.isArray(rsc["checks"])) {
      for (const check of rsc["checks"]) {
        if (!isRecord(check) || typeof check["context"] !== "string") throw invalidRequest(`For 'items', ${JSON.stringify(check)} is not an object with a context.`, PROTECTION_DOCS);
        const appId = check["app_id"];
        checks.push({ context: check["context"], app_id: typeof appId === "number" && appId !== -1 ? appId : null });
      }
    } else if (Array.isArray(rsc["contexts"])) {
      for (const context of rsc["contexts"]) {
        if (typeof context !== "string") throw invalidRequest(`For 'items', ${JSON.stringify(context)} is not a string.`, PROTECTION_DOCS);
        checks.push({ context, app_id: null });
      }
    } else {
      throw invalidRequest(notSupplied(["contexts"]), PROTECTION_DOCS);
    }
    requiredStatusChecks = { strict: rsc["strict"], checks };
  }
  const enforce = body["enforce_admins"];
  if (enforce !== null && typeof enforce !== "boolean") throw invalidRequest(`For 'properties/enforce_admins', ${JSON.stringify(enforce)} is not a boolean or null.`, PROTECTION_DOCS);
  const reviews = body["required_pull_request_reviews"];
  let requiredApprovingReviewCount: number | null = null;
  if (reviews !== null) {
    if (!isRecord(reviews)) throw invalidRequest(`For 'properties/required_pull_request_reviews', ${JSON.stringify(reviews)} is not an object or null.`, PROTECTION_DOCS);
    const count = reviews["required_approving_review_count"] ?? 1;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 6) throw new GitHubError(422, "Invalid request.\n\nrequired_approving_review_count must be between 0 and 6.", PROTECTION_DOCS);
    requiredApprovingReviewCount = count;
  }
  return { requiredStatusChecks, enforceAdmins: enforce === true, requiredApprovingReviewCount, restricted: body["restrictions"] !== null };
}

/** GET …/protection's body (the parts ngrok-gitops and people read). */
export function protectionJson(p: Protection, url: string) {
  return {
    url,
    ...(p.requiredStatusChecks
      ? {
          required_status_checks: {
            url: `${url}/required_status_checks`,
            strict: p.requiredStatusChecks.strict,
            contexts: p.requiredStatusChecks.checks.map((c) => c.context),
            contexts_url: `${url}/required_status_checks/contexts`,
            checks: p.requiredStatusChecks.checks,
          },
        }
      : {}),
    enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins },
    ...(p.requiredApprovingReviewCount !== null
      ? { required_pull_request_reviews: { url: `${url}/required_pull_request_reviews`, dismiss_stale_reviews: false, require_code_owner_reviews: false, required_approving_review_count: p.requiredApprovingReviewCount } }
      : {}),
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: false },
    allow_deletions: { enabled: false },
  };
}
