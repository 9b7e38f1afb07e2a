// The changes of the kinds beside credentials: service users' own, and API keys' and SSH credentials' (a credential's change tagged with its kind).
import type { ServiceUserSpec } from "../desired/kind-types.js";
import type { ResourceBody } from "../ngrok/resources.js";
import type { Change, Delivery, FieldChange, Intent, Refusal } from "./types.js";

export type ServiceUserChange =
  | { kind: "service_user"; action: "create"; name: string; spec: ServiceUserSpec; body: ResourceBody }
  /** `import` adopts an unmanaged service user: its name gains our marker (and any field changes). */
  | { kind: "service_user"; action: "update" | "import"; name: string; id: string; fields: FieldChange[]; body: ResourceBody }
  | { kind: "service_user"; action: "delete"; name: string; id: string; reason: "removed" | "duplicate" };

/**
 * An API key's or SSH credential's change: the credential diff's, with its kind, the wire body the kind sends and,
 * when it is owned by a service user this plan creates, that user's spec name (apply fills in its id).
 */
export type ResourceChange = Change & { kind: "api_key" | "ssh_credential"; wire?: ResourceBody; owner?: string };

export type KindChange = ServiceUserChange | ResourceChange;

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
