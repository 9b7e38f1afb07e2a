// A plan is plain data: the changes that converge the account, what is left alone, and why a plan is refused.
import type { CredentialCreate, CredentialUpdate } from "../ngrok/types.js";
import type { UserMetadata } from "../ownership/marker.js";
import type { CredentialSpec, SourceLocation } from "../desired/types.js";
import type { ServiceUserSpec } from "../desired/kind-types.js";
import type { ResourceBody } from "../ngrok/resources.js";

/** A reviewed setting that ngrok does not hold (see settings.ts). */
export type Setting = "rotate_after" | "expires" | "deliver" | "prevent_destroy" | "import";

/**
 * One setting of one credential, before → after. For `deliver` and `import` one entry per value: `after` alone is an
 * addition, `before` alone a removal; for the others null means unset.
 */
export interface SettingChange {
  name: string;
  setting: Setting;
  before: string | null;
  after: string | null;
}

export type Field = "description" | "metadata" | "acl" | "owner_id" | "prevent_destroy" | "expires" | "active" | "roles";

/** One field's before → after, for people; values are the spec's view (metadata without the marker). */
export interface FieldChange {
  field: Field;
  before: string | string[] | UserMetadata | boolean;
  after: string | string[] | UserMetadata | boolean;
}

export type Change =
  /** A new credential. `body.metadata` lacks the nonce: apply adds it with the write-ahead intent. */
  | { action: "create"; name: string; spec: CredentialSpec; body: CredentialCreate }
  /** Only the fields that differ are sent; "" and [] clear. */
  | { action: "update"; name: string; id: string; fields: FieldChange[]; body: CredentialUpdate }
  /**
   * Adopt an unmanaged credential: PATCH adds our marker (and any field changes). No new token. `fields` holds
   * the live values of a credential we do not own yet: for the operator only, never for a pull request.
   */
  | { action: "import"; name: string; id: string; fields: FieldChange[]; spec: CredentialSpec; body: CredentialUpdate }
  /** A field ngrok cannot update changed: create the new credential first, then delete the old. */
  | { action: "replace"; name: string; id: string; reason: string; fields: FieldChange[]; spec: CredentialSpec; body: CredentialCreate }
  /**
   * Rotation: the old credential is marked to retire at `retireAt` (PATCH `retireBody`), a new one is created;
   * the old one keeps working through the grace window and is deleted by the first run after it.
   */
  | { action: "rotate"; name: string; id: string; reason: string; retireAt: string; retireBody: CredentialUpdate; spec: CredentialSpec; body: CredentialCreate }
  /**
   * For an orphan, `intent` is the open intent that is closed once it is gone. For an expiry, `matured` says the
   * live marker carries this very `expires` date, written by an apply while the date was still ahead: such a
   * deletion was reviewed and applied in advance and is not counted by MAX_DELETES; any other expiry is.
   */
  | { action: "delete"; name: string; id: string; reason: DeleteReason; intent?: Intent; matured?: boolean };

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

/** A change of a kind beside credentials (src/kinds/). In a run's plan its name is `list/name`, e.g. api_keys/deploy. */
export type KindChange = ServiceUserChange | ResourceChange;

/** A change of any kind: a credential's (no `kind`) or another kind's. */
export type PlanChange = Change | KindChange;

export type DeleteReason =
  /** The spec is gone. */
  | "removed"
  /** A second live credential for the same name; the one whose token we hold is kept. */
  | "duplicate"
  /** Created by a run that never stored its token (the write-ahead intent is still open). */
  | "orphan"
  /** The old credential of a rotation, after its grace window. */
  | "retired"
  /** Its spec's `expires` has passed (see `matured`). */
  | "expired";

export type Action = Change["action"];

export interface Refusal {
  /** IMPORT_REFUSED covers every refused import alike, so a pull request cannot tell an absent id from a taken one. */
  code: "PREVENT_DESTROY" | "MAX_DELETES" | "EMPTY_SPECS" | "IMPORT_REFUSED" | "ROTATE_UNHELD" | "OWNER_IN_USE" | "OWNER_UNRESOLVED" | "KINDS_UNAVAILABLE";
  name?: string;
  /** Safe for anyone who can open a pull request. */
  message: string;
  /** For the operator only (terminal, plan_text): may name what we do not own, e.g. why an import was refused. */
  detail?: string;
}

/** A write-ahead record: a create was about to be sent with this nonce in its marker. */
export interface Intent {
  name: string;
  nonce: string;
}

/**
 * Where a token is pushed; `key` names the target: "acme/site:NGROK_AUTHTOKEN", "acme/site@prod:NGROK_AUTHTOKEN"
 * (an environment secret) or "org:acme:NGROK_AUTHTOKEN" (an organisation secret).
 */
export type DeliveryTargetRef =
  | { kind: "repo"; key: string; repo: string; secret: string; environment?: string }
  | { kind: "org"; key: string; org: string; secret: string; visibility: "all" | "private" };

/** A delivery we made: this target holds the token of credential `id` of spec `name`. */
export interface DeliveryRecord {
  key: string;
  name: string;
  id: string;
  /**
   * GitHub's clock when it answered our write (the PUT's `Date` header): the secret's `updated_at` is at most this
   * until someone else writes it. Null when GitHub sent no date, and for records older than this field.
   */
  written_at?: string | null;
  /** When we recorded the write (our clock): judges records without `written_at`. */
  at?: string;
}

export type Delivery =
  /** Push the stored token of `name` (after this plan's changes) to the target. */
  | { action: "deliver"; name: string; target: DeliveryTargetRef; refused?: string }
  /** The target left the spec: delete the secret we created there (only ever one we wrote and nobody changed since). */
  | { action: "undeliver"; name: string; target: DeliveryTargetRef; refused?: string };

export interface Plan {
  ownerId: string;
  /** Credentials' changes and, in a run's plan, the other kinds' (service users, API keys, SSH credentials). */
  changes: PlanChange[];
  /** Token deliveries, run after the changes. */
  deliveries: Delivery[];
  /** Old credentials of rotations still inside their grace window. */
  retiring: number;
  /** Managed credentials already as the specs say. */
  unchanged: string[];
  /** Live credentials without our marker: never touched, only counted (and adoptable with `import`). */
  unmanaged: number;
  /** Live credentials marked by another installation (another OWNER_ID): never touched. */
  foreign: number;
  /** Why the plan must not be applied; empty when it may be. */
  refusals: Refusal[];
  /** Things people should know that change nothing, e.g. a managed credential whose token is not in the vault. */
  notes: string[];
  /** Intents that can be closed: their create never happened, or its token is stored after all. */
  staleIntents: Intent[];
  /**
   * Credentials whose `expires` falls within EXPIRY_WARNING of now, soonest first (set by makePlan): the drift
   * issue lists them so owners renew in time.
   */
  expiring?: ExpiringCredential[];
  /**
   * Reviewed settings that changed since the previous specs (see settings.ts), beyond what `changes` show: no ngrok
   * call, yet a change to review. Absent where the driver has no previous specs to compare with.
   */
  settings?: SettingChange[];
  /** Where the previous specs came from: "the default branch (abc1234)", "the last apply (abc1234)". */
  settingsSince?: string;
  /** A report's bounded plan (a run with a CPU budget): the changes left out of `changes`, only counted. */
  omitted?: Omitted;
}

/** Changes a bounded plan leaves out, as summarize counts them. */
export interface Omitted {
  changes: number;
  create: number;
  update: number;
  delete: number;
}

/** A credential that expires soon: its owners renew it by moving `expires` in a pull request. */
export interface ExpiringCredential {
  name: string;
  /** As the spec writes it, e.g. 2027-01-31. */
  expires: string;
  /** The instant, ISO 8601 UTC. */
  at: string;
  /** Whole days left (0: under a day). */
  days: number;
  source: SourceLocation;
}

export function summarize(plan: { changes: readonly PlanChange[]; omitted?: Omitted }): { create: number; update: number; delete: number } {
  let create = plan.omitted?.create ?? 0;
  let update = plan.omitted?.update ?? 0;
  let remove = plan.omitted?.delete ?? 0;
  for (const change of plan.changes) {
    if (change.action === "create") create++;
    else if (change.action === "update" || change.action === "import") update++;
    else if (change.action === "delete") remove++;
    else if (change.action === "rotate") create++;
    else {
      create++;
      remove++;
    }
  }
  return { create, update, delete: remove };
}

/** The clock and rotation settings a diff of any kind is judged by. */
export interface RotationSettings {
  /** Now, in ms: rotation ages and grace windows are measured from it. */
  now: number;
  /** How long the old secret of a rotation stays alive. Default 1 hour. */
  rotationGraceMs?: number;
  /** rotate_after for specs that set none. */
  defaultRotateAfterMs?: number;
  /** Names to rotate now whatever their age (the operator's rotate action). */
  rotateNow?: ReadonlySet<string>;
}
