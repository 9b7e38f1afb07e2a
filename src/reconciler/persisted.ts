// JSON the Durable Object reads back from SQLite goes through a schema: a row that does not fit is a typed error naming the table, key and field.
import { z } from "zod";
import { FAILURE_CODES } from "../apply/types.js";
import { runRequestSchema } from "../run/state-schema.js";
import { OUTCOME_ACTIONS } from "../run/types.js";

/** Where a persisted value lives: its table and the row's key (`state` key, queue key, run id, change index…). */
export interface PersistedAt {
  table: string;
  key: string;
}

/**
 * A persisted value that does not read back: not JSON, or not the shape this deploy reads (another deploy's, or
 * damaged). A run that meets one is interrupted with this message (see ReconcilerStorage.interruptFor).
 */
export class PersistedDataError extends Error {
  readonly code = "PERSISTED_INVALID";
  constructor(
    readonly at: PersistedAt,
    detail: string,
  ) {
    super(`${at.table} row ${JSON.stringify(at.key)} does not read back: ${detail}`);
    this.name = "PersistedDataError";
  }
}

/**
 * Parses `text` and checks it against `schema`. Shape only, as runStateSchema: the parsed value itself is returned
 * (zod would drop keys a schema does not list, and the schemas list what the code reads, not every field).
 */
export function readJson<T>(schema: z.ZodType, text: string, at: PersistedAt): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PersistedDataError(at, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const checked = schema.safeParse(value);
  if (!checked.success) throw new PersistedDataError(at, describe(checked.error.issues));
  return value as T;
}

/**
 * The first few problems, each with its path. A value that fits no branch of a union is described by the branch it
 * comes closest to (its tag fits, fewest problems), so the message names a field rather than saying "Invalid input".
 */
function describe(issues: readonly z.core.$ZodIssue[], max = 3): string {
  const flat = issues.flatMap(expand);
  const lines = flat.slice(0, max).map((e) => `${e.path.length ? e.path.map(String).join(".") : "(value)"}: ${e.message}`);
  return flat.length > max ? `${lines.join("; ")}; and ${flat.length - max} more` : lines.join("; ");
}

function expand(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [{ path: issue.path, message: issue.message }];
  // A branch whose tag (a literal field such as kind or cause) differs is far off, whatever else fits.
  const distance = (branch: readonly z.core.$ZodIssue[]) => branch.length + (branch.some((i) => i.code === "invalid_value" && i.path.length === 1) ? 1000 : 0);
  const closest = issue.errors.reduce((best, branch) => (distance(branch) < distance(best) ? branch : best));
  return closest.flatMap((inner) => expand(inner).map((e) => ({ path: [...issue.path, ...e.path], message: e.message })));
}

const count = z.number().int().nonnegative();
const caller = z.object({ ip: z.string().nullable(), user_agent: z.string().nullable() });

/** A queued job, or (written before jobs had a kind) a bare run request. */
export const queuedSchema = z.union([
  z.object({ kind: z.literal("run"), request: runRequestSchema }),
  z.object({ kind: z.literal("rewrap"), actor: z.string(), caller: caller.optional() }),
  runRequestSchema,
]);

const held = z.object({
  sha: z.string(),
  at: z.string(),
  pr: z.number().nullable(),
  reasons: z.array(z.string()),
  missing: z.array(z.object({ name: z.string(), file: z.string(), owners: z.array(z.string()) })),
});

/** One schema per key of NamedState (ledgers.ts StateValues): the record makes a key without one a compile error there. */
export const stateSchemas = {
  last_applied: z.object({ sha: z.string(), tree: z.string(), at: z.string() }),
  drift: z.object({ detected: z.boolean(), at: z.string().nullable(), changes: count }),
  drift_issue: z.object({ number: z.number().int(), body: z.string() }),
  last_pruned: z.string(),
  run_attempts: z.object({ run: count, invocations: count }),
  cancel_run: z.object({ run: count, actor: z.string(), caller: caller.nullable() }),
  /** The limiter reads it as unknown and checks it itself (a snapshot it cannot use is ignored: the window starts afresh). */
  ngrok_limiter: z.unknown(),
  held,
  applied_review: z.object({ sha: z.string(), approvals: z.number().nullable() }),
  reviews: z.object({ enforced: z.boolean(), approvals: z.number().nullable(), sha: z.string(), at: z.string() }),
  delete_approvals: z.array(z.object({ pr: z.number().int(), sha: z.string(), actor: z.string(), at: z.string() })),
  kinds_applied: z.array(z.enum(["service_users", "api_keys", "ssh_credentials"])),
} as const;

/** What a pull request's plan showed for a credentials/ tree (state key reviewed:<tree>). */
export const reviewedSchema = z.object({ pr: z.number().int(), sha: z.string(), fingerprint: z.string() });

/** A live item of another kind as listed (run_kind_live): what every kind's diff needs. */
export const kindLiveSchema = z.looseObject({ id: z.string().min(1), created_at: z.string() });

/** A live credential as listed (run_live): the fields the diff reads. */
export const liveSchema = z.object({ id: z.string().min(1), acl: z.array(z.string()), owner_id: z.string(), metadata: z.string().optional(), description: z.string().optional() });

const intent = z.object({ name: z.string(), nonce: z.string() });
const withId = { name: z.string(), id: z.string() };
/**
 * An object the change carries whole (a spec, a body, a field change): only checked to be one. z.record would copy
 * every key, and a plan's rows are read back by the thousand (about 2 µs a change more, more than parsing it).
 */
const body = z.custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), { message: "expected an object" });

/** One change of the plan (run_changes): its action and the ids and bodies apply sends. */
export const changeSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("create"), name: z.string(), spec: body, body }),
  z.object({ action: z.literal("update"), ...withId, fields: z.array(body), body }),
  // A service user's import (src/kinds/) carries no spec: its body says all.
  z.object({ action: z.literal("import"), ...withId, fields: z.array(body), spec: body.optional(), body }),
  z.object({ action: z.literal("replace"), ...withId, reason: z.string(), fields: z.array(body), spec: body, body }),
  z.object({ action: z.literal("rotate"), ...withId, reason: z.string(), retireAt: z.string(), retireBody: body, spec: body, body }),
  z.object({ action: z.literal("delete"), ...withId, reason: z.enum(["removed", "duplicate", "orphan", "retired", "expired"]), intent: intent.optional(), matured: z.boolean().optional() }),
]);

const target = z.object({ kind: z.enum(["repo", "org"]), key: z.string(), secret: z.string() });

/** One delivery of the plan (run_deliveries). */
export const deliverySchema = z.object({ action: z.enum(["deliver", "undeliver"]), name: z.string(), target, refused: z.string().optional() });

/** The counts of the saved plan (state key active_plan_head). */
export const planHeadSchema = z.object({ changes: count, deliveries: count, refusals: count, phases: z.array(count) });

/** The plan without its changes and deliveries (state key active_plan). */
export const planMetaSchema = z.object({
  ownerId: z.string(),
  changes: z.array(changeSchema),
  deliveries: z.array(deliverySchema),
  retiring: count,
  unchanged: z.array(z.string()),
  unmanaged: count,
  foreign: count,
  refusals: z.array(z.object({ code: z.string(), name: z.string().optional(), message: z.string() })),
  notes: z.array(z.string()),
  staleIntents: z.array(intent),
});

const failure = z.object({ code: z.enum(FAILURE_CODES), message: z.string(), status_code: z.number().optional(), operation_id: z.string().optional() });

/** How a change went (run_results). */
export const changeOutcomeSchema = z.union([
  z.object({ status: z.literal("done"), change: changeSchema, createdId: z.string().optional(), note: z.string().optional() }),
  z.object({ status: z.literal("failed"), change: changeSchema, error: failure, compensation: z.string().optional() }),
]);

const specError = z.object({ code: z.string(), file: z.string(), line: z.number(), column: z.number(), field: z.string(), message: z.string() });

/** A parsed spec file (spec_cache). */
export const fileResultSchema = z.object({
  specs: z.array(z.object({ name: z.string() })),
  errors: z.array(specError),
  unlisted: count.optional(),
  items: z.array(z.object({ text: z.string(), line: z.number() })).optional(),
  claims: z.array(z.object({ index: z.number(), line: z.number(), column: z.number() })).optional(),
});

/** The columns of a finished run (runs) that hold JSON. */
export const runColumnSchemas = {
  summary: z.object({ create: count, update: count, delete: count }),
  outcomes: z.array(z.object({ action: z.enum(OUTCOME_ACTIONS), name: z.string(), status: z.enum(["done", "failed", "not_attempted", "planned", "skipped", "refused"]) })),
  errors: z.array(z.string()),
  api_calls: z.object({ ngrok: count, github: count }),
} as const;

/** An audit entry's detail: an object (its keys differ by kind). */
export const auditDetailSchema = z.record(z.string(), z.unknown());
