// The zod schema a persisted RunState is checked against when read back: a state that does not fit is not resumed.
import { z } from "zod";
import { STAGES } from "./types.js";

const caller = z.object({ ip: z.string().nullable(), user_agent: z.string().nullable() });
const origin = { delivery: z.string().optional(), actor: z.string().optional(), caller: caller.optional() };
const sha = z.string().min(1);
const rotate = z.array(z.string()).optional();

/** A run request as queued and as a run state holds it. */
export const runRequestSchema = z.union([
  z.object({ ...origin, cause: z.literal("pull_request"), mode: z.literal("plan"), sha, pr: z.number().int() }),
  z.object({ ...origin, cause: z.literal("push"), mode: z.literal("apply"), sha, rotate }),
  z.object({ ...origin, cause: z.literal("cron"), mode: z.literal("apply"), rotate }),
  z.object({ ...origin, cause: z.literal("manual"), mode: z.enum(["plan", "apply"]), sha: sha.optional(), allowDeletes: z.boolean().optional(), rotate, release: z.string().optional() }),
]);

const stage = z.enum(STAGES);
const count = z.number().int().nonnegative();
const targetSeen = z.union([
  z.object({ exists: z.literal(false) }),
  z.object({ exists: z.literal(true), updated_at: z.string() }),
  z.object({ exists: z.null(), error: z.string() }),
]);

const keeper = z.object({ name: z.string(), id: z.string(), created_at: z.string() });
/** A change or a credential is checked for the keys the sliced diff reads; the rest is its own (the plan's JSON). */
const change = z.looseObject({ action: z.enum(["create", "update", "import", "replace", "rotate", "delete"]), name: z.string() });
const diffProgress = z.object({
  round: count,
  offset: count,
  unmanaged: count,
  foreign: count,
  retiring: count,
  met: z.string(),
  early: z.array(change),
  duplicates: z.array(keeper),
  outcomes: z.array(change),
  unheld: z.array(keeper),
  keepers: z.array(keeper),
  held: z.array(z.looseObject({ id: z.string(), created_at: z.string() })),
  nonces: z.array(z.string()),
});

/** Checks shape only: the parsed value itself is what is resumed (zod would drop keys it does not list). */
export const runStateSchema = z.object({
  version: z.number().int(),
  runId: z.number().int().nonnegative(),
  key: z.string(),
  request: runRequestSchema,
  stage,
  mode: z.enum(["plan", "apply"]),
  sha: z.string().nullable(),
  tree: z.string().nullable(),
  check: z.unknown(),
  cursor: z.string().nullable(),
  listed: count,
  pages: count.optional(),
  lists: z.array(z.enum(["service_users", "api_keys", "ssh_credentials"])).optional(),
  listing: count.optional(),
  kindListed: count.optional(),
  kindDiff: z
    .object({
      round: count,
      parts: z.array(z.object({ list: z.enum(["api_keys", "ssh_credentials"]), diff: diffProgress.omit({ round: true }), rekeyed: z.array(z.object({ name: z.string(), credential: z.looseObject({ id: z.string(), created_at: z.string() }) })) })),
    })
    .optional(),
  round: count,
  total: count,
  applied: count,
  inFlight: z.boolean(),
  delivered: count,
  deliveries: z.array(
    z.object({ action: z.enum(["deliver", "undeliver"]), name: z.string(), key: z.string(), status: z.enum(["done", "failed", "skipped", "refused"]), error: z.string().optional() }),
  ),
  targets: z.array(targetSeen).optional(),
  afterTargets: stage.optional(),
  looked: targetSeen.optional(),
  invocations: count,
  max_subrequests: count,
  idle: count,
  diff: diffProgress.optional(),
  checked: z.boolean().optional(),
  filesRead: count.optional(),
  rendered: count.optional(),
  tally: z
    .object({ round: count, at: count, chain: z.string().regex(/^[0-9a-f]{64}$/), create: count, update: count, delete: count, attempted: count, failed: count, errors: z.array(z.string()), fingerprint: z.string().optional() })
    .optional(),
  savedSources: count.optional(),
  skipped: z.string().optional(),
  declined: z.boolean().optional(),
  invalid: z.array(z.object({ code: z.string(), file: z.string(), line: z.number(), column: z.number(), field: z.string(), message: z.string() })).optional(),
  specFiles: count.optional(),
  calls: z.object({ ngrok: count, github: count }),
  now: z.number(),
  policyNotes: z.array(z.string()).optional(),
  baseline: z.object({ ref: z.string().nullable(), label: z.string() }).nullable().optional(),
  approvals: z.number().optional(),
  review: z
    .object({
      verdict: z.enum(["approved", "held", "released"]),
      pr: z.number().nullable(),
      approvers: z.array(z.string()),
      reasons: z.array(z.string()),
      missing: z.array(z.object({ name: z.string(), file: z.string(), owners: z.array(z.string()) })),
    })
    .optional(),
});

/** The first few problems of a value that failed the schema, each with its path: `stage: Invalid option …`. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const lines = error.issues.slice(0, max).map((issue) => `${issue.path.length ? issue.path.join(".") : "(state)"}: ${issue.message}`);
  return error.issues.length > max ? `${lines.join("; ")}; and ${error.issues.length - max} more` : lines.join("; ");
}
