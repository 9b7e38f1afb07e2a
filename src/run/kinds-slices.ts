// The plan stage's diff of the kinds beside credentials, a slice of their live lists per piece of work (as diff-slices.ts does for credentials); its progress persists in RunState.kindDiff.
import type { LoadResult } from "../desired/load.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { SliceContext } from "../plan/diff-slice.js";
import type { KindsPlan } from "../plan/kind-changes.js";
import { diffKindSlice, finishKinds, kindsContext, oursListed, SLICED_LISTS, startKinds, type KindsContext } from "../plan/kinds-slices.js";
import type { Plan, Refusal } from "../plan/types.js";
import { DIFF_UNITS_PER_KIND_ITEM, KINDS_FINISH_UNITS_PER_SPEC, KINDS_INDEX_UNITS_PER_ITEM } from "./cpu-units.js";
import { RunError } from "./errors.js";
import type { Invocation } from "./invocation.js";
import { credentialEnds, credentialShare, isKindName } from "./kinds.js";
import type { RunPorts } from "./ports.js";
import type { RunState } from "./state.js";

interface KindsIndex {
  key: string;
  context: KindsContext;
  serviceUsers: readonly LiveResource[];
}

/** The kinds' index, kept in memory between invocations of one run while the process lives (as diff-slices.ts keeps the credentials'). */
const indexes = new WeakMap<object, KindsIndex>();

/** What the kinds' index is built from: the credential diff's index of the same invocation. */
export interface KindsBasis {
  loaded: Extract<LoadResult, { ok: true }>;
  context: SliceContext;
}

/**
 * Diffs the kinds' live lists as far as this invocation's units go, after the credentials' slices. Returns the units
 * their finish costs (spent with the credentials' finish, one piece), or null when it yielded (state.kindDiff holds
 * the progress; the caller persists it).
 */
export async function diffKindsInSlices(state: RunState, run: Invocation, basis: KindsBasis): Promise<number | null> {
  if ((state.lists ?? []).length === 0) return 0;
  const { ports, settings } = run;
  const { budget } = ports;
  let index = indexes.get(ports.scratch);
  if (!index || index.key !== indexKey(state)) {
    const serviceUsers = await listedServiceUsers(state, ports);
    const { kinds } = basis.loaded;
    const units = Math.ceil((kinds.service_users.length + kinds.api_keys.length + kinds.ssh_credentials.length + serviceUsers.length) * KINDS_INDEX_UNITS_PER_ITEM);
    // One piece of work, as the credentials' index: left to the next invocation when it does not fit in this one.
    if (!budget.affords(units)) return null;
    budget.spend(units);
    const { config } = settings;
    const context = kindsContext({
      ownerId: config.ownerId,
      kinds,
      serviceUsers,
      listed: new Set(SLICED_LISTS.filter((list) => state.lists?.includes(list))),
      stored: basis.context.stored,
      intents: (await ports.intents.list()).filter((intent) => isKindName(intent.name)),
      now: state.now,
      ...(config.rotationGraceMs !== undefined ? { rotationGraceMs: config.rotationGraceMs } : {}),
      ...(config.defaultRotateAfterMs !== undefined ? { defaultRotateAfterMs: config.defaultRotateAfterMs } : {}),
      ...(basis.context.rotateNow ? { rotateNow: basis.context.rotateNow } : {}),
      delivered: (ports.deliverer ? await ports.deliverer.records() : []).filter((record) => isKindName(record.name)),
      ...(config.expiryWarningMs !== undefined ? { expiryWarningMs: config.expiryWarningMs } : {}),
    });
    index = { key: indexKey(state), context, serviceUsers };
    indexes.set(ports.scratch, index);
  }
  const { context } = index;
  if (state.kindDiff?.round !== state.round) state.kindDiff = { round: state.round, parts: startKinds(context) };
  const { parts } = state.kindDiff;
  for (let i = 0; i < context.parts.length; i++) {
    const part = context.parts[i];
    let progress = parts[i];
    if (part === undefined || progress === undefined) continue;
    let listed = await ports.scratch.kindLiveCount(part.list);
    while (progress.diff.offset < listed) {
      const left = Math.floor((budget.unitLimit - budget.unitsUsed) / DIFF_UNITS_PER_KIND_ITEM);
      // The first piece of an invocation always goes: at least one item, so every invocation progresses.
      const size = Math.min(listed - progress.diff.offset, budget.unitsUsed === 0 ? Math.max(1, left) : left);
      if (size <= 0) return null;
      const slice = await ports.scratch.loadKindLive(part.list, { offset: progress.diff.offset, limit: size });
      budget.spend(slice.length * DIFF_UNITS_PER_KIND_ITEM);
      progress = diffKindSlice(part, progress, slice);
      parts[i] = progress;
      // Fewer rows than asked: the listing is shorter than counted (it cannot be, but a slice must never spin).
      if (slice.length < size) listed = progress.diff.offset;
    }
  }
  return Math.ceil(context.parts.reduce((n, part) => n + part.specs.length, context.users.changes.length + context.users.unchanged.length) * KINDS_FINISH_UNITS_PER_SPEC);
}

/** The kinds' plan once every slice is diffed (its units were spent with the credentials' finish), and the credentials' unresolved `owner:`. */
export function kindsOfPlan(state: RunState, ports: RunPorts, basis: KindsBasis, plan: Plan, liveCredentials: readonly Credential[]): { plan: KindsPlan | null; unresolved: Refusal[]; ours: Set<string> } {
  const index = indexes.get(ports.scratch);
  const { loaded } = basis;
  const share = (serviceUsers: readonly LiveResource[]) => credentialShare({ ownerId: basis.context.ownerId, kinds: loaded.kinds, specs: loaded.specs, serviceUsers, intents: [] }).unresolved;
  if ((state.lists ?? []).length === 0) return { plan: null, unresolved: share([]), ours: new Set() };
  if (!index || index.key !== indexKey(state) || state.kindDiff?.round !== state.round) throw new RunError("RUN_INTERNAL", "internal: the kinds' diff is not finished where the plan is made");
  const kinds = finishKinds(index.context, state.kindDiff.parts, { liveCredentials, credentialEnds: credentialEnds(plan) });
  return { plan: kinds, unresolved: share(index.serviceUsers), ours: oursListed(index.context, state.kindDiff.parts, index.serviceUsers.length) };
}

/** Once the plan is saved, or when the listing starts again: the kinds' progress and index are dropped. */
export function endKindsDiff(state: RunState, ports: RunPorts): void {
  delete state.kindDiff;
  indexes.delete(ports.scratch);
}

/** The service users this round listed, whole (an `owner:` resolves against all of them); none when it did not list them. */
export async function listedServiceUsers(state: RunState, ports: RunPorts): Promise<LiveResource[]> {
  return state.lists?.includes("service_users") ? await ports.scratch.loadKindLive("service_users") : [];
}

function indexKey(state: RunState): string {
  return JSON.stringify([state.runId, state.round, state.now, state.sha, state.tree, state.lists ?? []]);
}
