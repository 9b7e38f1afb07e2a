// The ports the run core drives: spec source, credentials API, token keeper, intent log, run scratch state, reporter.
import type { ReviewedSpecs } from "../review/kinds.js";
import type { SpecError } from "../desired/errors.js";
import type { PolicySources } from "../desired/repo-policy-choice.js";
import type { ChangeOutcome, CredentialsApi, IntentLog, TokenKeeper } from "../apply/types.js";
import type { Credential } from "../ngrok/types.js";
import type { TargetSeen } from "../plan/delivery-guard.js";
import type { Delivery, DeliveryRecord, Plan, PlanChange } from "../plan/types.js";
import type { FileCache } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import type { Budget } from "./budget.js";
import type { RunResult } from "./result.js";
import type { Baseline, DeliveryResult, RunState } from "./state.js";
import type { ReviewOutcome, RunOutput } from "./types.js";
import type { LiveResource, ResourcesApi } from "../ngrok/resources.js";
import type { OtherKindList } from "../desired/kind-types.js";

export type { Baseline } from "./state.js";

export type Awaitable<T> = T | Promise<T>;

export interface SpecSnapshot {
  /** The commit read (null for a local folder). */
  sha: string | null;
  /** The git tree of credentials/ (null for a local folder): equal trees mean equal specs. */
  tree: string | null;
  sources: SpecSource[];
  /** Set when there is nothing to do (e.g. credentials/ is unchanged since the last apply): the run ends. */
  skipped?: string;
  /**
   * Set when the tree was refused before any file was read (limits judged from the listing, e.g. a file over
   * 1 MiB): the run reports these like invalid specs and applies nothing.
   */
  invalid?: SpecError[];
  /** The policy file of the commit (and, on a pull request, the default branch's): see choosePolicy. */
  policy?: PolicySources;
  /**
   * The specs the reviewed settings (rotate_after, expires, deliver, prevent_destroy, import) are compared with: a
   * pull request's base branch, or what was last applied; read at the plan stage through SpecPort.previous. null:
   * there are none (nothing applied yet), which the plan notes. Left out: this driver compares nothing.
   */
  baseline?: Baseline | null;
}


export interface SpecPort {
  read(state: Readonly<RunState>): Promise<SpecSnapshot>;
  /** Parsed files by blob SHA (see LoadOptions.cache). */
  cache?: FileCache;
  /** A number that grows as reading makes progress short of finishing (blobs cached): a big tree is not a stall. */
  progress?(): number;
  /** The spec sources of a baseline the snapshot named; null when they cannot be read (e.g. over the spec limits). */
  previous?(baseline: Baseline): Promise<SpecSource[] | null>;
}

/** The ngrok calls of a run; NgrokClient satisfies it. */
export interface CredentialsPort extends CredentialsApi {
  /** One page of the listing: cursor null for the first, then the `next` returned; next null at the end. */
  listPage(cursor: string | null): Promise<{ credentials: Credential[]; next: string | null }>;
}

export interface RevealedToken {
  name: string;
  id: string;
  token: string;
}

/** Where tokens are kept. `ids` must be authoritative (never a stale view): the plan's orphan and duplicate rules decide from it. */
export interface TokenPort extends TokenKeeper {
  ids(): Promise<Map<string, string>>;
  /** The stored ids of these names only (an apply batch's, a delivery's), as authoritative as ids(). Absent: ids(). */
  idsOf?(names: readonly string[]): Promise<Map<string, string>>;
  read(name: string): Promise<RevealedToken | null>;
}

/** The run in progress, kept between invocations. Every write must be durable before it resolves. */
export interface RunScratch {
  save(state: RunState): Awaitable<void>;
  /** Replaces the sources kept, or (`append`) adds these after them: the start stage saves them a few files at a time. */
  saveSources(sources: readonly SpecSource[], options?: { append?: boolean }): Awaitable<void>;
  loadSources(): Awaitable<SpecSource[]>;
  /**
   * The sources with the text of each file its blob SHA names left out (content ""): all the plan stage's index needs
   * to find the files in the parse cache, without reading megabytes of YAML back. Absent: loadSources.
   */
  loadSourceKeys?(): Awaitable<SpecSource[]>;
  clearLive(): Awaitable<void>;
  addLive(credentials: readonly Credential[]): Awaitable<void>;
  /** The listing, or `limit` of it from `offset` (in an order that stays the same while the listing does). */
  loadLive(range?: { offset: number; limit: number }): Awaitable<Credential[]>;
  /** Distinct credentials listed so far (by id): a page that adds none was read before. */
  liveCount(): Awaitable<number>;
  /**
   * The listing of the kinds beside credentials (service users, API keys, SSH credentials), one row per id and list,
   * apart from the credentials': the list stage adds each page, the plan stage's kinds' diff reads it a slice at a time.
   */
  clearKindLive(): Awaitable<void>;
  addKindLive(list: OtherKindList, items: readonly LiveResource[]): Awaitable<void>;
  /** `limit` of a list's items from `offset` (in an order that stays the same while the listing does), or all of them. */
  loadKindLive(list: OtherKindList, range?: { offset: number; limit: number }): Awaitable<LiveResource[]>;
  kindLiveCount(list: OtherKindList): Awaitable<number>;
  /**
   * Replaces the plan (a new round); outcomes of earlier rounds are kept. Its changes and deliveries are kept one row
   * each, in the order given, with a small head (planHead): the stages after the plan read only the rows they need.
   */
  savePlan(plan: Plan): Awaitable<void>;
  /** The whole plan (the report, the CLI). */
  loadPlan(): Awaitable<Plan>;
  /** The saved plan without its changes (changes: []): the report reads those by range, or has them from their outcomes. */
  loadPlanMeta(): Awaitable<Plan>;
  /** The saved plan's counts: all the apply and deliver stages read besides their rows. */
  loadPlanHead(): Awaitable<PlanHead>;
  /** `limit` of the saved plan's changes from `offset`, in the order saved. */
  loadChanges(range: { offset: number; limit: number }): Awaitable<PlanChange[]>;
  /** `limit` of the saved plan's deliveries from `offset`. */
  loadDeliveries(range: { offset: number; limit: number }): Awaitable<Delivery[]>;
  /** Replaces the saved plan's deliveries (as many as it had: the targets stage marks the refused ones). */
  saveDeliveries(deliveries: readonly Delivery[]): Awaitable<void>;
  /** Adds a piece of the operator's plan_text: the lines of the next `changes` of the saved plan (savePlan clears them). */
  appendPlanText(text: string, changes: number, bytes: number): Awaitable<void>;
  /** How many of the saved plan's changes the pieces kept cover, and their UTF-8 bytes. */
  planTextProgress(): Awaitable<{ changes: number; bytes: number }>;
  /** The pieces kept, in order, as one text. */
  loadPlanText(): Awaitable<string>;
  saveOutcome(round: number, index: number, outcome: ChangeOutcome): Awaitable<void>;
  /** Every outcome kept, or those of one round with an index in [offset, offset + limit). */
  loadOutcomes(range?: { round: number; offset: number; limit: number }): Awaitable<{ round: number; index: number; outcome: ChangeOutcome }[]>;
}

/** What a saved plan holds, in counts. `phases`: its changes of each apply phase (phaseOf), in that order when it was saved in apply order. */
export interface PlanHead {
  changes: number;
  deliveries: number;
  refusals: number;
  phases: number[];
}

/** Pushes tokens to delivery targets (GitHub Actions secrets) and remembers what each target holds. */
export interface Deliverer {
  records(): Awaitable<DeliveryRecord[]>;
  /** The target secret as GitHub shows it now (metadata only): one call. */
  inspect(delivery: Delivery): Promise<TargetSeen>;
  /** Writes the token and records the write with the secret's updated_at read back. */
  deliver(delivery: Delivery, token: RevealedToken): Promise<void>;
  undeliver(delivery: Delivery): Promise<void>;
  /** Drops the record of a target without touching the secret (it is no longer ours to delete). */
  forget(delivery: Delivery): Awaitable<void>;
}

export interface Reporter {
  /** The specs were read and are about to be validated: e.g. open a check on the commit. */
  started?(state: RunState): Promise<void>;
  outcome?(state: Readonly<RunState>, outcome: ChangeOutcome): Awaitable<void>;
  delivery?(state: Readonly<RunState>, result: DeliveryResult, id: string | null): Awaitable<void>;
  /** The run is over: publish it (comments, checks, drift). May add to `output` (e.g. `reviewed`). */
  finish?(state: RunState, result: RunResult, output: RunOutput): Promise<void>;
  /** The run failed with an error: e.g. complete its check as failed. Must not throw. */
  failed?(state: RunState, error: unknown): Promise<void>;
}

/** Judges whether the commit about to be applied was reviewed (src/review/ decides; the adapter asks GitHub). */
export interface ReviewGate {
  /** The most calls the check of this run makes (0: reviews are not enforced): it starts only with that much budget left. */
  cost(state: Readonly<RunState>): number;
  /**
   * null: reviews are not enforced for this commit (no `review:` policy), or it is the one already applied. A
   * GitHub failure is a `held` verdict, never an error; only a refusal for want of budget throws.
   */
  check(state: Readonly<RunState>, plan: Plan, specs: ReviewedSpecs): Promise<ReviewOutcome | null>;
  /** On a pull request: what its plan should say about who must approve it (lines for the plan's notes). */
  notes?(state: Readonly<RunState>, specs: ReviewedSpecs): Promise<string[]>;
  /**
   * On a push: the `/ngrok-gitops allow-deletes` approval of the merged pull request at the head it was merged at,
   * as a line for the plan's notes (it lifts MAX_DELETES), or null. Costs a call only while approvals are recorded.
   */
  deleteApproval?(state: Readonly<RunState>): Promise<string | null>;
  /** The calls deleteApproval makes for this run (0 while none is recorded). */
  deleteApprovalCost?(state: Readonly<RunState>): number;
}

export interface RunConfig {
  ownerId: string;
  maxDeletes: number;
  rotationGraceMs?: number;
  defaultRotateAfterMs?: number | undefined;
  /** How long before `expires` a credential is announced (default 7 days). */
  expiryWarningMs?: number;
}

/** The persisted set of kinds applied (RunPorts.kindsApplied). */
export interface KindsLedger {
  read(): Promise<OtherKindList[]>;
  write(lists: readonly OtherKindList[]): Promise<void>;
}

/** What one invocation of a run talks to: the ports of the core. Settings that hold for the whole run are RunSettings. */
export interface RunPorts {
  specs: SpecPort;
  ngrok: CredentialsPort;
  /**
   * The other kinds (service users, API keys, SSH credentials) through the same client, limiter and budget. Absent:
   * this driver applies only credentials, and a plan whose specs use other kinds is refused (KINDS_UNAVAILABLE).
   */
  resources?: ResourcesApi;
  /**
   * The kinds this repository ever applied and may still hold our marked resources of (the Durable Object's storage,
   * the CLI's file beside its token store): listed until empty of ours, so removing a kind's last spec deletes what
   * it made even with no record of the last apply. Absent: only the specs, the last applied specs, the vault and
   * open intents say what to list.
   */
  kindsApplied?: KindsLedger;
  tokens: TokenPort;
  intents: IntentLog;
  scratch: RunScratch;
  reporter?: Reporter;
  /** Absent where deliveries cannot be made (the CLI has no GitHub credentials): they are reported as skipped. */
  deliverer?: Deliverer;
  /** Absent where reviews cannot be checked (the CLI): applies are not gated. */
  reviews?: ReviewGate;
  /**
   * Asked once the plan is made and before anything is applied (the CLI's prompt): null ends the run as a plan.
   * Otherwise the plan returned is applied, exactly: the plan itself, or a part of it (the CLI's --target).
   */
  approve?(plan: Plan): Promise<Plan | null>;
  /** This invocation's budget of calls and work units. */
  budget: Budget;
  /** Calls made since the last take, by service: how the run's cost is counted. */
  takeCalls(): { ngrok: number; github: number };
}

/** How a driver runs the core: the same for every invocation of a run. */
export interface RunSettings {
  config: RunConfig;
  /** Calls kept back for reporting at the end of the run (comment, check, status, drift issue). */
  reserve: number;
  /** Changes in flight at once (default APPLY_CONCURRENCY). */
  concurrency?: number;
  /** Why deliveries are skipped when there is no deliverer. */
  noDelivery?: string;
  /**
   * With a CPU budget: the largest spec file one invocation can parse (`maxParseBytes` of its units); a larger one
   * is refused unparsed (FILE_OVER_CPU_BUDGET). Absent (the CLI): only the 1 MiB limit.
   */
  maxParseBytes?: number;
}
