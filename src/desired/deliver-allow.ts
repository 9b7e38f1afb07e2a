// `deliver.allow` in the policy file: where tokens may be delivered, as target keys with `*` wildcards, and the keys themselves.
import type { DeliveryTarget } from "./types.js";

/**
 * A delivery target pattern, written like the target keys plans show: `OWNER/REPO:SECRET`, `OWNER/REPO@ENVIRONMENT:SECRET`
 * (an environment secret) or `org:ORG:SECRET` (an organisation secret). `*` in a part matches any run of characters
 * within that part; a pattern without `@` covers repository secrets only. Compared case-insensitively, as GitHub does.
 */
export const DELIVER_ALLOW_PATTERN = /^(?:org:[A-Za-z0-9*-]{1,39}|[A-Za-z0-9*-]{1,39}\/[A-Za-z0-9._*-]{1,100}(?:@[^\s/@:][^/@:]{0,254})?):[A-Za-z0-9_*]{1,255}$/;
export const DELIVER_ALLOW_MAX_LENGTH = 400;

/** A target's key: "acme/site:NGROK_AUTHTOKEN", "acme/site@prod:NGROK_AUTHTOKEN" or "org:acme:NGROK_AUTHTOKEN". */
export function deliveryTargetKey(target: DeliveryTarget): string {
  if (target.github_actions_org_secret) return `org:${target.github_actions_org_secret.org}:${target.github_actions_org_secret.name}`;
  if (!target.github_actions_secret) throw new Error("internal: a delivery target names no target (the schema refuses that)");
  const { repo, name, environment } = target.github_actions_secret;
  return `${repo}${environment ? `@${environment}` : ""}:${name}`;
}

type Parts = { kind: "org"; org: string; secret: string } | { kind: "repo"; repo: string; environment: string | null; secret: string };

function patternParts(pattern: string): Parts {
  const colon = pattern.lastIndexOf(":");
  const secret = pattern.slice(colon + 1);
  const scope = pattern.slice(0, colon);
  if (scope.startsWith("org:")) return { kind: "org", org: scope.slice("org:".length), secret };
  const at = scope.indexOf("@");
  return { kind: "repo", repo: at < 0 ? scope : scope.slice(0, at), environment: at < 0 ? null : scope.slice(at + 1), secret };
}

function targetParts(target: DeliveryTarget): Parts {
  if (target.github_actions_org_secret) return { kind: "org", org: target.github_actions_org_secret.org, secret: target.github_actions_org_secret.name };
  const { repo = "", name = "", environment } = target.github_actions_secret ?? {};
  return { kind: "repo", repo, environment: environment ?? null, secret: name };
}

/** `*` matches any run of characters; everything else itself, ignoring case. */
function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join(".*")}$`, "i");
}

/** Whether a target falls under any of the patterns (each valid, DELIVER_ALLOW_PATTERN). */
export function deliverAllowMatcher(patterns: readonly string[]): (target: DeliveryTarget) => boolean {
  const compiled = patterns.map((pattern) => {
    const parts = patternParts(pattern);
    if (parts.kind === "org") return { kind: "org" as const, scope: glob(parts.org), environment: null, secret: glob(parts.secret) };
    return { kind: "repo" as const, scope: glob(parts.repo), environment: parts.environment === null ? null : glob(parts.environment), secret: glob(parts.secret) };
  });
  return (target) => {
    const t = targetParts(target);
    return compiled.some((p) => {
      if (p.kind !== t.kind || !p.secret.test(t.secret)) return false;
      if (t.kind === "org") return p.scope.test(t.org);
      if (!p.scope.test(t.repo)) return false;
      return p.environment === null ? t.environment === null : t.environment !== null && p.environment.test(t.environment);
    });
  };
}
