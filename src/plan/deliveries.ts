// Delivery targets as plain references with a stable key (what the delivery records are keyed by).
import { deliveryTargetKey } from "../desired/deliver-allow.js";
import type { DeliveryTarget } from "../desired/types.js";
import type { DeliveryTargetRef } from "./types.js";

export function deliveryTargetRef(target: DeliveryTarget): DeliveryTargetRef {
  const key = deliveryTargetKey(target);
  if (target.github_actions_org_secret) {
    const { org, name, visibility } = target.github_actions_org_secret;
    return { kind: "org", key, org, secret: name, visibility: visibility ?? "private" };
  }
  if (!target.github_actions_secret) throw new Error("internal: a delivery target names no target (the schema refuses that)");
  const { repo, name, environment } = target.github_actions_secret;
  const ref: DeliveryTargetRef = { kind: "repo", key, repo, secret: name };
  if (environment) ref.environment = environment;
  return ref;
}

/** The target a delivery record's key names (the inverse of deliveryTargetRef's key; an org's visibility is not in it). */
export function parseTargetKey(key: string): DeliveryTargetRef {
  const org = /^org:([^:]+):(.+)$/.exec(key);
  if (org) return { kind: "org", key, org: org[1] ?? "", secret: org[2] ?? "", visibility: "private" };
  const match = /^([^@:]+\/[^@:]+)(?:@([^:]+))?:(.+)$/.exec(key);
  const ref: DeliveryTargetRef = { kind: "repo", key, repo: match?.[1] ?? key, secret: match?.[3] ?? "" };
  if (match?.[2]) ref.environment = match[2];
  return ref;
}
