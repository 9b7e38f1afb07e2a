// The persisted state of a run in progress: versioned, so a deploy in the middle of a run never misreads it.
import type { SpecError } from "../desired/errors.js";
import type { OtherKindList } from "../desired/kind-types.js";
import type { KindPartProgress } from "../plan/kinds-slices.js";
import type { TargetSeen } from "../plan/delivery-guard.js";
import type { DiffProgress } from "../plan/diff-slice.js";
import type { ReviewOutcome, RunRequest, Stage } from "./types.js";
import { describeIssues, runStateSchema } from "./state-schema.js";

/** Bump when RunState changes shape; a state of another version is not resumed (the run restarts). 4: the plan of an apply is saved in apply order, read by range (an older run's plan is not: it restarts). 5: the other kinds' listing is in the scratch, their diff in slices (RunState.kindDiff). */
export const RUN_STATE_VERSION = 5;

export type { Stage } from "./types.js";

/** Which previous specs to compare with: `ref` is the port's own handle (a commit SHA, or null for a local store). */
export interface Baseline {
  ref: string | null;
  /** For people: "the default branch (abc1234)", "the last apply (abc1234)". */
  label: string;
}

export interface DeliveryResult {
  action: "deliver" | "undeliver";
  name: string;
  key: string;
  /** refused: the target secret is not ours to write or delete (see delivery-guard.ts); `error` says why. */
  status: "done" | "failed" | "skipped" | "refused";
  error?: string;
}

export interface RunState {
  version: typeof RUN_STATE_VERSION;
  runId: number;
  /** The queue entry the request came from (the Durable Object removes it when the run is recorded). */
  key: string;
  request: RunRequest;
  stage: Stage;
  mode: "plan" | "apply";
  sha: string | null;
  tree: string | null;
  /** The reporter's handle on the run's check (a check run id, a commit status), opaque to the core. */
  check: unknown;
  /** null: list from the first page; "end": the listing is complete. */
  cursor: string | null;
  listed: number;
  /** List pages read in this listing (a listing that does not end is an error, not a loop). */
  pages?: number;
  /** The kinds beside credentials this run lists after the credentials (see src/run/kinds.ts), and which list `cursor` is in (0: credentials). */
  lists?: OtherKindList[];
  listing?: number;
  /**
   * Items of the other kinds listed this round, as persisted with this state (the listing itself is in the scratch,
   * RunScratch.addKindLive): a page that adds none was read before. The report's units count them.
   */
  kindListed?: number;
  /** The kinds' diff so far (src/run/kinds-slices.ts), a slice of each list per piece of work; its round: a stale one restarts. */
  kindDiff?: { round: number; parts: KindPartProgress[] };
  /**
   * Plans made by this run. A run that stopped while changes were in flight (a crash, a spent budget) cannot
   * know how they ended: it lists and plans again (round + 1) instead of sending them twice.
   */
  round: number;
  /** Changes in the current round's plan, and how many of them have a recorded outcome. */
  total: number;
  applied: number;
  /** True while a batch of changes is in flight; found true on resume, it means the batch's end is unknown. */
  inFlight: boolean;
  /** Deliveries done so far (index into the plan's deliveries), and how each went. */
  delivered: number;
  deliveries: DeliveryResult[];
  /** The "targets" stage: what GitHub showed of each planned delivery's target so far, and the stage after it. */
  targets?: TargetSeen[];
  afterTargets?: Stage;
  /** The deliver stage's look at the target of the delivery it is at (state.delivered), taken right before the write. */
  looked?: TargetSeen;
  invocations: number;
  /** The most subrequests any invocation of this run used. */
  max_subrequests: number;
  /** The most work units (calibrated CPU, src/run/cpu-units.ts) any invocation of this run spent, and in all. */
  max_work_units?: number;
  work_units?: number;
  /** Spec files of the start stage saved in the scratch so far (a few an invocation). */
  savedSources?: number;
  /** Changes of the saved plan whose plan_text lines the report rendered so far (in the scratch, a piece at a time). */
  rendered?: number;
  /** The report's tally of the saved plan so far (report-tally.ts): its counts and fingerprint, a piece of rows at a time. */
  tally?: ReportTally;
  /** Spec files this run parsed (not found in the parse cache), one per work piece of the start stage or of the plan stage's previous specs. */
  parsed?: number;
  /** Cached spec files read back into the process's memory (file-memo.ts), one a piece, counted again when memory was lost and they are read again. */
  filesRead?: number;
  /** The start stage checked the specs across files (its own piece of work); saving the sources is what is left of it. */
  checked?: boolean;
  /**
   * The plan stage's diff so far (src/plan/diff-slice.ts): the live list is diffed a slice per piece of work, and
   * what the slices found waits here for the next; dropped once the plan is saved. Its round: a stale one restarts.
   */
  diff?: DiffProgress & { round: number };
  /** Invocations in a row that ended without progress; a run that stalls fails instead of spinning. */
  idle: number;
  skipped?: string;
  /** The plan was shown and not approved (the CLI's prompt): nothing was applied. */
  declined?: boolean;
  invalid?: SpecError[];
  /** Spec files read (for the message of an invalid run). */
  specFiles?: number;
  calls: { ngrok: number; github: number };
  /** The run's one instant (ms): expiry, rotation ages and policy lifetimes are judged from it in every stage. */
  now: number;
  /** What the policy choice says for the plan (a pull request that changes the policy, which policy judged). */
  policyNotes?: string[];
  /** The previous specs the plan compares reviewed settings with (SpecSnapshot.baseline); undefined: none asked for. */
  baseline?: Baseline | null;
  /** review.approvals of the commit's own policy (the review check also reads the base branch's). */
  approvals?: number;
  /** The review check's verdict, once made (plan stage of an apply). */
  review?: ReviewOutcome;
}

export function newRunState(runId: number, key: string, request: RunRequest, mode: "plan" | "apply", now: number = Date.now()): RunState {
  return {
    version: RUN_STATE_VERSION,
    runId,
    key,
    request,
    stage: "start",
    mode,
    sha: null,
    tree: null,
    check: null,
    cursor: null,
    listed: 0,
    round: 0,
    total: 0,
    applied: 0,
    inFlight: false,
    delivered: 0,
    deliveries: [],
    invocations: 0,
    max_subrequests: 0,
    idle: 0,
    calls: { ngrok: 0, github: 0 },
    now,
  };
}

/** A persisted state read back: the state, or why it cannot be resumed (another version's, or not a state at all). */
export type ParsedRunState = { ok: true; state: RunState } | { ok: false; error: string };

/** Parses and validates a persisted state (runStateSchema); a state of another version or shape is refused, saying why. */
export function parseRunState(text: string): ParsedRunState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `the persisted run state is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const version = typeof value === "object" && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version !== RUN_STATE_VERSION) return { ok: false, error: `the persisted run state is of version ${JSON.stringify(version ?? null)}, this deploy reads version ${RUN_STATE_VERSION}` };
  const checked = runStateSchema.safeParse(value);
  if (!checked.success) return { ok: false, error: `the persisted run state failed validation: ${describeIssues(checked.error)}` };
  return { ok: true, state: value as RunState };
}

/**
 * What the report needs of the whole saved plan, tallied before it a piece of rows at a time (report-tally.ts), so the
 * report itself reads only a bounded head. `at`: rows tallied (whole pieces); `chain`: SHA-256 chained over the pieces'
 * digests (hex); `fingerprint`: set once every row and the deliveries are in.
 */
export interface ReportTally {
  round: number;
  at: number;
  chain: string;
  create: number;
  update: number;
  delete: number;
  /** This round's outcomes among the rows tallied, those failed, and the first failures' error lines. */
  attempted: number;
  failed: number;
  errors: string[];
  fingerprint?: string;
}
