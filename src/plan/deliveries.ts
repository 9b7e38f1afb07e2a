// Delivery targets as plain references with a stable key (what the delivery records are keyed by).
import type { DeliveryTarget } from "../spec/types.js";
import type { DeliveryTargetRef } from "./types.js";

export function deliveryTargetRef(target: DeliveryTarget): DeliveryTargetRef {
  const { repo, name, environment } = target.github_actions_secret;
  const ref: DeliveryTargetRef = { key: `${repo}${environment ? `@${environment}` : ""}:${name}`, repo, secret: name };
  if (environment) ref.environment = environment;
  return ref;
}
