// The changes of the kinds beside credentials: service users' own, and API keys' and SSH credentials' (a credential's change tagged with its kind).
import type { Delivery, Intent, KindChange, Refusal } from "./types.js";

export type { KindChange, ResourceChange, ServiceUserChange } from "./types.js";

export interface KindsPlan {
  changes: KindChange[];
  /** `list/name` of every managed item already as its spec says. */
  unchanged: string[];
  /** Live items without our marker, and with another installation's, over the kinds listed. */
  unmanaged: number;
  foreign: number;
  refusals: Refusal[];
  notes: string[];
  /** Intents (vault names, `api_keys/NAME`) that can be closed. */
  staleIntents: Intent[];
  /** Deliveries of minted API keys; names are vault names. */
  deliveries: Delivery[];
}

/** Apply order: cleanup, then creates/imports/updates with service users first, then replaces and rotations, then deletes with service users last. */
export function kindApplyOrder(changes: readonly KindChange[]): number[] {
  const rank = (change: KindChange) => (change.kind === "service_user" ? 0 : 1);
  const phase = (change: KindChange): number => {
    if (change.action === "delete") return change.reason === "orphan" || change.reason === "duplicate" || change.reason === "retired" ? 0 : 3;
    return change.action === "replace" || change.action === "rotate" ? 2 : 1;
  };
  const key = (change: KindChange) => phase(change) * 10 + (phase(change) === 3 ? 1 - rank(change) : rank(change));
  return changes.map((change, i) => [key(change), i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
}

export function summarizeKinds(plan: Pick<KindsPlan, "changes">): { create: number; update: number; delete: number } {
  const out = { create: 0, update: 0, delete: 0 };
  for (const change of plan.changes) {
    if (change.action === "create" || change.action === "rotate") out.create++;
    else if (change.action === "update" || change.action === "import") out.update++;
    else if (change.action === "delete") out.delete++;
    else (out.create++, out.delete++);
  }
  return out;
}
