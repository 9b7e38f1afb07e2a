// Review owners of the kinds beside credentials: a changed service user, API key or SSH credential needs its file's owners, as a credential does.
import type { KindSpecs, OtherKindList } from "../desired/kind-types.js";
import { OTHER_KIND_LISTS } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { PlanChange } from "../plan/types.js";
import { canonical, changedCredentials, type ChangedCredential } from "./decide.js";

/** How a changed item of another kind is named for review: `api_keys/deploy` (credentials keep their bare name). */
export function kindItemName(list: OtherKindList, name: string): string {
  return `${list}/${name}`;
}

/**
 * Items of the other kinds a commit changes: added, removed, moved to another file, or different in any field.
 * `planned` names items the plan changes anyway (e.g. drift), as `list/name`.
 */
export function changedKindItems(before: KindSpecs | null, after: KindSpecs, planned: ReadonlySet<string> = new Set()): ChangedCredential[] {
  const out: ChangedCredential[] = [];
  for (const list of OTHER_KIND_LISTS) {
    const old = new Map<string, { source: { file: string } }>((before?.[list] ?? []).map((s) => [s.name, s]));
    const now = new Map<string, { source: { file: string } }>(after[list].map((s) => [s.name, s]));
    for (const name of new Set([...old.keys(), ...now.keys()])) {
      const a = old.get(name);
      const b = now.get(name);
      const key = kindItemName(list, name);
      if (a && b && a.source.file === b.source.file && textOf(a) === textOf(b) && !planned.has(key)) continue;
      const files = [b?.source.file, a?.source.file].filter((f): f is string => f !== undefined);
      out.push({ name: key, files: [...new Set(files)] });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function textOf(spec: { source: unknown }): string {
  const { source: _source, ...rest } = spec;
  return canonical(rest);
}

/** A tree's specs of every kind, as the review gate reads them. */
export interface ReviewedSpecs {
  specs: readonly CredentialSpec[];
  kinds: KindSpecs;
}

/**
 * Items of every kind a commit changes (credentials by name, the others as `list/name`): what differs from `before`
 * (null: nothing applied yet), and what the plan changes anyway.
 */
export function changedItems(before: ReviewedSpecs | null, after: ReviewedSpecs, plan: { changes: readonly PlanChange[] }): ChangedCredential[] {
  const planned = new Set(plan.changes.filter((c) => "kind" in c && c.kind !== undefined).map((c) => c.name));
  const credentials = changedCredentials(before?.specs ?? null, after.specs, { changes: plan.changes.filter((c) => !("kind" in c) || c.kind === undefined) });
  return [...credentials, ...changedKindItems(before?.kinds ?? null, after.kinds, planned)].sort((a, b) => (a.name < b.name ? -1 : 1));
}
