// The plan stage: the diff of the specs against the listing, the review gate and the prompt, then the stage that follows.
import { makePlan } from "../../plan/plan.js";
import { diffInSlices, endDiff } from "../diff-slices.js";
import { persist, roomFor, type Invocation } from "../invocation.js";
import { kindsApplied, listsToRead, withKinds } from "../kinds.js";
import { kindsOfPlan } from "../kinds-slices.js";
import { inApplyOrder } from "../plan-order.js";
import type { OtherKindList } from "../../desired/kind-types.js";
import type { RunState } from "../state.js";
import { allowsDeletes } from "../types.js";

/** Makes the round's plan; false when it yielded for want of budget (the next invocation plans again). */
export async function planStage(state: RunState, run: Invocation): Promise<boolean> {
  const { ports, settings } = run;
  const { config } = settings;
  // The diff goes a slice of the live list at a time, within the invocation's work units (diff-slices.ts).
  const diffed = await diffInSlices(state, run);
  if (!diffed) return false;
  const { loaded, context, previous } = diffed;
  // A kind the previous specs used that this round did not list (its last spec was removed): listed first.
  const recorded = (await ports.kindsApplied?.read()) ?? [];
  const lists = listsToRead(loaded.kinds, loaded.specs, [...recorded, ...((previous && "kinds" in previous && previous.kinds) || [])], [...context.stored.keys(), ...context.intents.map((i) => i.name)]);
  if (ports.resources && (await listMore(state, run, lists))) return true;
  // A pull request's plan says who must approve it (under review enforcement), so reviewers know before the merge.
  let reviewNotes: string[] = [];
  if (state.request.cause === "pull_request" && ports.reviews?.notes) {
    const cost = Math.min(ports.reviews.cost(state), ports.budget.limit - settings.reserve);
    if (cost > 0) {
      if (!roomFor(run, cost)) return false;
      reviewNotes = await ports.reviews.notes(state, loaded);
    }
  }
  const notes = [...(state.policyNotes ?? []), ...reviewNotes];
  // A merge whose pull request's head got `/ngrok-gitops allow-deletes` may delete past MAX_DELETES.
  let allowDeletes = allowsDeletes(state.request, state.sha);
  if (!allowDeletes && state.request.cause === "push" && ports.reviews?.deleteApproval) {
    const cost = ports.reviews.deleteApprovalCost?.(state) ?? 1;
    if (cost > 0 && !roomFor(run, cost)) return false;
    const approval = await ports.reviews.deleteApproval(state);
    if (approval) (allowDeletes = true), notes.push(approval);
  }
  let plan = makePlan({
    ownerId: config.ownerId,
    specs: loaded.specs,
    live: diffed.live,
    diffed: diffed.planned,
    stored: context.stored,
    intents: context.intents,
    specFiles: loaded.files,
    maxDeletes: config.maxDeletes,
    allowDeletes,
    ...(config.rotationGraceMs !== undefined ? { rotationGraceMs: config.rotationGraceMs } : {}),
    ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}),
    ...(config.expiryWarningMs !== undefined ? { expiryWarningMs: config.expiryWarningMs } : {}),
    ...(notes.length > 0 ? { policyNotes: notes } : {}),
    now: state.now,
    rotateNow: context.rotateNow ?? new Set(),
    ...(previous ? { previous } : {}),
  });
  // The kinds' plan from their slices (kinds-slices.ts), merged in: MAX_DELETES counts every kind.
  const kinds = kindsOfPlan(state, ports, { loaded, context }, plan, diffed.live);
  plan = withKinds(plan, state.lists ?? [], kinds.plan, { maxDeletes: config.maxDeletes, allowDeletes, rotateNow: context.rotateNow ?? new Set(), available: ports.resources !== undefined }, kinds.unresolved);
  let applying = state.mode === "apply" && plan.refusals.length === 0;
  // Under review enforcement nothing of an unreviewed commit is applied: the run ends held.
  if (applying && ports.reviews) {
    // A deployment with a small MAX_SUBREQUESTS still checks (most checks need fewer calls than the most they can take).
    const cost = Math.min(ports.reviews.cost(state), ports.budget.limit - settings.reserve);
    if (cost > 0 && !roomFor(run, cost)) return false;
    const review = await ports.reviews.check(state, plan, loaded);
    if (review) state.review = review;
    if (review?.verdict === "held") {
      state.mode = "plan";
      applying = false;
    }
  }
  if (applying && (plan.changes.length > 0 || plan.deliveries.length > 0) && ports.approve) {
    const approved = await ports.approve(plan);
    if (approved === null) {
      state.declined = true;
      state.mode = "plan";
      applying = false;
    } else plan = approved;
  }
  // Saved in apply order (plan-order.ts): the apply stage reads its next changes as one range, and the report's
  // fingerprint, chained over fixed ranges of the rows, is the same for a pull request's plan and the apply of it.
  await ports.scratch.savePlan(inApplyOrder(plan));
  endDiff(state, ports);
  state.total = plan.changes.length;
  state.applied = 0;
  // The one place stale intents are closed: a plan about to be applied found them (creates that never landed).
  if (applying) for (const intent of plan.staleIntents) await ports.intents.close(intent);
  // Written ahead of the apply: a kind it creates is recorded before its first create (kinds.ts kindsApplied).
  if (applying && ports.kindsApplied) await ports.kindsApplied.write(kindsApplied(recorded, loaded.kinds, state.lists ?? [], kinds.ours));
  state.stage = applying && plan.changes.length > 0 ? "apply" : applying && plan.deliveries.length > 0 ? "deliver" : "report";
  // The plan says which delivery targets it refuses: each is looked at on GitHub first.
  if (ports.deliverer && plan.deliveries.length > 0) {
    state.afterTargets = state.stage;
    state.targets = [];
    state.stage = "targets";
  }
  await persist(state, run);
  return true;
}

/** Adds the lists the plan needs that this round did not read, and goes back to read them (the diff starts again: owners may resolve otherwise). */
async function listMore(state: RunState, run: Invocation, lists: readonly OtherKindList[]): Promise<boolean> {
  const known = state.lists ?? [];
  const missing = lists.filter((list) => !known.includes(list));
  if (missing.length === 0) return false;
  state.lists = [...known, ...missing];
  state.listing = known.length + 1;
  state.cursor = null;
  state.stage = "list";
  endDiff(state, run.ports);
  await persist(state, run);
  return true;
}
