// Which policy judges a run: on a pull request the default branch's (whatever its base), so a PR cannot loosen the policy that reviews it.
import type { SpecError } from "./errors.js";
import { loadPolicy, type RepositoryPolicy } from "./repo-policy-file.js";
import type { SpecSource } from "./types.js";

export interface PolicySources {
  /** The policy file of the commit being planned or applied (the PR's head on a pull request); null: it has none. */
  head: SpecSource | null;
  /**
   * On a pull request only: the default branch's policy file (null: it has none), whatever the PR's base. Only the
   * default branch is applied, so its policy is the one a PR must pass; a PR retargeted to it was judged by it all along.
   */
  base?: SpecSource | null;
  /** On a pull request whose base is not the default branch: both names, for the note that merging it applies nothing. */
  offDefault?: { base: string; defaultBranch: string };
}

export interface PolicyChoice {
  /** The policy to judge the specs with (loadSpecs' `policy.policy`); null: none. */
  policy: RepositoryPolicy | null;
  /** Errors that fail the run, as spec errors do: the head's policy file is invalid. */
  errors: SpecError[];
  /** For the plan (makePlan's `policyNotes`): what a pull request changes in the policy, and which one judged. */
  notes: string[];
}

/** A policy's rules as lines, e.g. `acl.allow: *.example.com`: what a change adds and removes is their difference. */
export function describePolicy(policy: RepositoryPolicy): string[] {
  const lines = policy.require.map((r) => `require: ${r.field}`);
  for (const pattern of policy.allow?.patterns ?? []) lines.push(`acl.allow: ${pattern.text}`);
  if (policy.denyUnrestricted) lines.push("acl.deny_unrestricted: true");
  if (policy.maxRotateAfter) lines.push(`max_rotate_after: ${policy.maxRotateAfter.text}`);
  if (policy.maxLifetime) lines.push(`max_lifetime: ${policy.maxLifetime.text}`);
  for (const pattern of policy.deliverAllow?.patterns ?? []) lines.push(`deliver.allow: ${pattern}`);
  if (policy.review) lines.push(`review.approvals: ${policy.review.approvals}`);
  return [...new Set(lines)];
}

/** Lines of a change listed in a note; the rest are counted. */
const SHOWN = 20;

export function choosePolicy(sources: PolicySources): PolicyChoice {
  const head = sources.head ? loadPolicy(sources.head) : null;
  const headErrors = head && !head.ok ? head.errors : [];
  const headPolicy = head?.ok ? head.policy : null;
  // Not a pull request: the commit's own policy judges it.
  if (sources.base === undefined) return { policy: headPolicy, errors: headErrors, notes: [] };
  const name = sources.base?.path ?? sources.head?.path ?? "the policy file";
  const off = sources.offDefault;
  const notes: string[] = off ? [`this pull request's base is ${off.base}, not the default branch ${off.defaultBranch}: it will never be applied from there (only ${off.defaultBranch} is), and ${off.defaultBranch}'s policy judged this plan`] : [];
  const merged = off ? `once it reaches ${off.defaultBranch}` : "once merged";
  const base = sources.base ? loadPolicy(sources.base) : null;
  if (base && !base.ok) {
    // The default branch's runs all fail on it, so it judges nothing; a PR that repairs it is judged by the repair.
    if (!head) return { policy: null, errors: [], notes: [...notes, `this pull request deletes ${name}, which is invalid on the default branch`] };
    if (!headPolicy) return { policy: null, errors: headErrors, notes };
    return { policy: headPolicy, errors: [], notes: [...notes, `${name} is invalid on the default branch, so this pull request's version of it judged this plan`] };
  }
  const basePolicy = base?.ok ? base.policy : null;
  if (!head && basePolicy) notes.push(`this pull request deletes ${name}; its rules keep judging until ${off ? `it reaches ${off.defaultBranch}` : "the pull request is merged"}`);
  else if (head && !headPolicy) notes.push(`this pull request's ${name} is invalid (see the errors above); the default branch's policy judged this plan`);
  else if (headPolicy) {
    const before = basePolicy ? describePolicy(basePolicy) : [];
    const after = describePolicy(headPolicy);
    const removed = before.filter((line) => !after.includes(line)).map((line) => `- ${line}`);
    const added = after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`);
    const change = [...removed, ...added];
    if (change.length > 0 || !basePolicy) {
      const shown = change.length === 0 ? "with no rules" : `(${change.slice(0, SHOWN).join("; ")}${change.length > SHOWN ? `; and ${change.length - SHOWN} more` : ""})`;
      notes.push(
        basePolicy
          ? `this pull request changes ${name} ${shown}; the default branch's policy judged this plan, and the new one takes effect ${merged}`
          : `this pull request adds ${name} ${shown}; it takes effect ${merged}, so no policy judged this plan`,
      );
    }
  }
  return { policy: basePolicy, errors: headErrors, notes };
}
