// The repository policy's rules, each a small pure function over one validated spec.
import { covers, parseBindTarget, type BindTarget } from "./bind-target.js";
import { deliverAllowMatcher, deliveryTargetKey } from "./deliver-allow.js";
import { formatDuration } from "./duration.js";
import { formatInstant } from "./expires.js";
import type { RepositoryPolicy } from "./repo-policy-file.js";
import type { CredentialSpec } from "./types.js";

/** A step of a path inside one credential item; `{ value }` is the list entry equal to it (ACL rules are sorted in specs). */
export type ItemPathPart = string | number | { value: string };

export interface Violation {
  /** The rule's name as written in the policy, e.g. `acl.allow`, `require`. */
  rule: string;
  /** Where the rule is written, e.g. `ngrok-gitops.policy.yaml:4`. */
  at: string;
  /** What to point at inside the item; [] is the item itself (its name). */
  path: ItemPathPart[];
  message: string;
}

export interface RuleContext {
  /** Now, in ms: `max_lifetime` is measured from it. */
  now: number;
  /** The deployment's ROTATE_AFTER, which counts for specs that set no rotate_after. */
  defaultRotateAfterMs?: number;
}

export type Rule = (spec: CredentialSpec, context: RuleContext) => readonly Violation[];

/** What a rule returns for a spec that keeps it: one shared empty list, not one per spec (10,000 specs × rules). */
const NONE: readonly Violation[] = Object.freeze([]);

/** Every rule the policy sets, in the order its violations are listed. */
export function policyRules(policy: RepositoryPolicy): Rule[] {
  const rules: Rule[] = policy.require.map((requirement) => requireField(requirement.field, requirement.path, requirement.at));
  if (policy.denyUnrestricted) rules.push(denyUnrestricted(policy.denyUnrestricted.at));
  if (policy.allow) rules.push(aclAllow(policy.allow.patterns.map((p) => p.text), policy.allow.at, policy.denyUnrestricted !== null));
  if (policy.maxRotateAfter) rules.push(maxRotateAfter(policy.maxRotateAfter.ms, policy.maxRotateAfter.text, policy.maxRotateAfter.at));
  if (policy.maxLifetime) rules.push(maxLifetime(policy.maxLifetime.ms, policy.maxLifetime.text, policy.maxLifetime.at));
  if (policy.deliverAllow) rules.push(deliverAllow(policy.deliverAllow.patterns, policy.deliverAllow.at));
  return rules;
}

/** Violations of every spec, in spec order; expired specs are exempt (their only effect is their deletion). */
export function judgeSpecs(specs: readonly CredentialSpec[], policy: RepositoryPolicy, context: RuleContext): { spec: CredentialSpec; violation: Violation }[] {
  const rules = policyRules(policy);
  const out: { spec: CredentialSpec; violation: Violation }[] = [];
  if (rules.length === 0) return out;
  for (const spec of specs) {
    if (spec.expires_ms !== undefined && spec.expires_ms <= context.now) continue;
    for (const rule of rules) for (const violation of rule(spec, context)) out.push({ spec, violation });
  }
  return out;
}

/** `require: [field]`: the field is set and not empty; `metadata.a.b` walks the metadata mapping. */
export function requireField(field: string, path: readonly string[], at: string): Rule {
  const fail = (where: ItemPathPart[], message: string): readonly Violation[] => [{ rule: "require", at, path: where, message }];
  return (spec) => {
    switch (path[0]) {
      case "description":
        return spec.description === "" ? fail([], "sets no description") : NONE;
      case "acl":
        return spec.acl.length === 0 ? fail([], "sets no acl") : NONE;
      case "owner_id":
        return spec.owner_id === undefined && spec.owner === undefined ? fail([], "sets no owner_id") : NONE;
      case "deliver":
        return spec.deliver.length === 0 ? fail([], "sets no deliver target") : NONE;
      case "rotate_after":
        return spec.rotate_after_ms === undefined ? fail([], "sets no rotate_after") : NONE;
      case "expires":
        return spec.expires === undefined ? fail([], "sets no expires") : NONE;
      default: {
        const keys = path.slice(1);
        if (keys.length === 0) return spec.metadata === null || spec.metadata === "" ? fail([], "sets no metadata") : NONE;
        if (spec.metadata === null) return fail([], `sets no ${field}`);
        let value: unknown = spec.metadata;
        for (let i = 0; i < keys.length; i++) {
          if (value === null || typeof value !== "object" || Array.isArray(value)) {
            const where = i === 0 ? "metadata is not a mapping" : `metadata.${keys.slice(0, i).join(".")} is not a mapping`;
            return fail(["metadata", ...keys.slice(0, i)], `sets no ${field} (${where})`);
          }
          const next = (value as Record<string, unknown>)[keys[i] as string];
          if (next === undefined) return fail(i === 0 ? ["metadata"] : ["metadata", ...keys.slice(0, i)], `sets no ${field}`);
          value = next;
        }
        return value === null || value === "" ? fail(["metadata", ...keys], `${field} is empty`) : NONE;
      }
    }
  };
}

/** `acl.deny_unrestricted: true`: no credential may bind anything (acl omitted, [] or "*"). */
export function denyUnrestricted(at: string): Rule {
  return (spec) => {
    if (spec.acl.length === 0) return [{ rule: "acl.deny_unrestricted", at, path: [], message: "has no acl, so it can bind anything; list the bind targets it needs" }];
    if (spec.acl.includes("*")) return [{ rule: "acl.deny_unrestricted", at, path: ["acl", { value: "*" }], message: '"*" lets it bind anything; list the bind targets it needs' }];
    return NONE;
  };
}

/**
 * `acl.allow: [pattern]`: every bind target falls under a pattern. An unrestricted credential falls under
 * none; when deny_unrestricted is also set, that rule alone reports it.
 */
export function aclAllow(patterns: readonly string[], at: string, unrestrictedReported: boolean): Rule {
  const allowed = allowIndex(patterns.map(parseBindTarget));
  const shown = patterns.length <= 5 ? patterns.join(", ") : `${patterns.slice(0, 5).join(", ")} and ${patterns.length - 5} more`;
  return (spec) => {
    if (spec.acl.length === 0 || spec.acl.includes("*")) {
      if (unrestrictedReported) return NONE;
      const path: ItemPathPart[] = spec.acl.length === 0 ? [] : ["acl", { value: "*" }];
      return [{ rule: "acl.allow", at, path, message: `is unrestricted (it can bind anything); acl.allow permits only ${shown}` }];
    }
    let out: Violation[] | null = null;
    for (const rule of spec.acl) {
      if (allowed(rule)) continue;
      (out ??= []).push({ rule: "acl.allow", at, path: ["acl", { value: rule }], message: `"${rule}" falls under no allowed pattern (${shown})` });
    }
    return out ?? NONE;
  };
}

/**
 * `covers` by any of the patterns, for a rule as written (`bind:…`), with hostname patterns in sets: a rule's
 * host is looked up once per dot (its suffixes), not compared with every pattern, so a long allow list costs
 * no more than a short one. Hostname rules, nearly all of them, are checked on the string without parsing.
 */
export function allowIndex(patterns: readonly BindTarget[]): (rule: string) => boolean {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  const others: BindTarget[] = [];
  for (const pattern of patterns) {
    if (pattern.kind !== "host") others.push(pattern);
    else (pattern.wildcard ? suffixes : exact).add(pattern.host);
  }
  return (rule) => {
    const target = rule.startsWith("bind:") ? rule.slice("bind:".length) : rule;
    if (target.includes("=") || target.includes(":")) {
      const parsed = parseBindTarget(rule);
      return others.some((pattern) => covers(pattern, parsed));
    }
    const wildcard = target.startsWith("*.");
    const host = wildcard ? target.slice(1) : target;
    if (!wildcard && exact.has(host)) return true;
    // A wildcard pattern's suffix starts with "."; an exact host never does, so it needs a label before it.
    for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) if (suffixes.has(host.slice(i))) return true;
    return false;
  };
}

/** `max_rotate_after: 90d`: rotate_after (or the deployment's ROTATE_AFTER) is set and no longer than that. */
export function maxRotateAfter(maxMs: number, text: string, at: string): Rule {
  return (spec, context) => {
    if (spec.rotate_after_ms !== undefined) {
      return spec.rotate_after_ms > maxMs ? [{ rule: "max_rotate_after", at, path: ["rotate_after"], message: `rotate_after ${formatDuration(spec.rotate_after_ms)} is longer than ${text}` }] : NONE;
    }
    if (context.defaultRotateAfterMs === undefined) return [{ rule: "max_rotate_after", at, path: [], message: `sets no rotate_after; it must rotate at least every ${text}` }];
    if (context.defaultRotateAfterMs > maxMs) {
      return [{ rule: "max_rotate_after", at, path: [], message: `sets no rotate_after, and the deployment's ROTATE_AFTER (${formatDuration(context.defaultRotateAfterMs)}) is longer than ${text}` }];
    }
    return NONE;
  };
}

/** `max_lifetime: 180d`: expires is set, no further from now than that. */
export function maxLifetime(maxMs: number, text: string, at: string): Rule {
  return (spec, context) => {
    if (spec.expires_ms === undefined) return [{ rule: "max_lifetime", at, path: [], message: `sets no expires; it must expire within ${text}` }];
    const latest = context.now + maxMs;
    if (spec.expires_ms <= latest) return NONE;
    const latestDay = Math.floor(latest / 86_400_000) * 86_400_000;
    return [{ rule: "max_lifetime", at, path: ["expires"], message: `${spec.expires} is more than ${text} away; set ${formatInstant(latestDay)} or earlier` }];
  };
}

/** `deliver.allow: [pattern]`: every deliver target falls under a pattern (see deliver-allow.ts). */
export function deliverAllow(patterns: readonly string[], at: string): Rule {
  const allowed = deliverAllowMatcher(patterns);
  const shown = patterns.length <= 5 ? patterns.join(", ") : `${patterns.slice(0, 5).join(", ")} and ${patterns.length - 5} more`;
  return (spec) => {
    let out: Violation[] | null = null;
    spec.deliver.forEach((target, i) => {
      if (!allowed(target)) (out ??= []).push({ rule: "deliver.allow", at, path: ["deliver", i], message: `delivers to ${deliveryTargetKey(target)}, which falls under no allowed pattern (${shown})` });
    });
    return out ?? NONE;
  };
}
