// The review decision, pure: which credentials a commit changes, whose approvals count, and what is still missing.
import type { CredentialSpec } from "../desired/types.js";
import type { Plan } from "../plan/types.js";
import { ownersOf, ownerText, type Codeowners, type Owner } from "./codeowners.js";

export interface ChangedCredential {
  name: string;
  /** The files that define it, before and after (one when it did not move): each file's owners must approve. */
  files: string[];
}

/** A review as GET …/pulls/{n}/reviews lists it (oldest first). */
export interface Review {
  user: string;
  state: string;
  commit_id: string;
}

export interface ReviewInput {
  /** The policy's review.approvals. */
  approvals: number;
  /** The commit applied, and what it applies (SpecSnapshot.treeSha: credentials/ tree + policy blob). */
  sha: string;
  tree: string;
  /** The merged pull request behind the commit; null when there is none (a direct push). */
  pull: { number: number; author: string } | null;
  reviews: readonly Review[];
  /** What each reviewed commit held (same form as `tree`); a commit missing here is treated as different. */
  treesAt: ReadonlyMap<string, string>;
  /** Our App's login (its reviews never count). */
  appLogin: string | null;
  changed: readonly ChangedCredential[];
  codeowners: Codeowners | null;
  /** Team memberships known: `org/slug` (lower case) → active members (lower case). */
  members: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface MissingApproval {
  name: string;
  file: string;
  /** Who may approve it, e.g. `@acme/team-a`. */
  owners: string[];
}

export interface ReviewDecision {
  verdict: "approved" | "held";
  /** Whose approvals counted. */
  approvers: string[];
  /** Why it is held, one line each (empty when approved). */
  reasons: string[];
  missing: MissingApproval[];
}

const key = (s: string) => s.toLowerCase();
const teamKey = (owner: Extract<Owner, { kind: "team" }>) => key(`${owner.org}/${owner.slug}`);

/** Credentials a commit changes: its spec item differs from the last applied one (file included), or the plan changes it. */
export function changedCredentials(before: readonly CredentialSpec[] | null, after: readonly CredentialSpec[], plan: Pick<Plan, "changes">): ChangedCredential[] {
  const old = new Map((before ?? []).map((s) => [s.name, s]));
  const now = new Map(after.map((s) => [s.name, s]));
  const out = new Map<string, ChangedCredential>();
  const add = (name: string) => {
    const files = [now.get(name)?.source.file, old.get(name)?.source.file].filter((f): f is string => f !== undefined);
    out.set(name, { name, files: [...new Set(files)] });
  };
  for (const name of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(name);
    const b = now.get(name);
    if (!a || !b || a.source.file !== b.source.file || specText(a) !== specText(b)) add(name);
  }
  for (const change of plan.changes) if (!out.has(change.name)) add(change.name);
  return [...out.values()].filter((c) => c.files.length > 0).sort((a, b) => (a.name < b.name ? -1 : 1));
}

function specText(spec: CredentialSpec): string {
  const { source: _source, ...rest } = spec;
  return canonical(rest);
}

/** JSON with keys sorted at every level: equal specs give equal text whatever order their fields were written in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The approvals that count: each reviewer's latest verdict, an approval of exactly what is applied, by neither the author nor our App. */
export function countedApprovals(input: Pick<ReviewInput, "pull" | "reviews" | "treesAt" | "tree" | "appLogin">): { approvers: string[]; voided: string[]; ignored: string[] } {
  const latest = new Map<string, Review>();
  for (const review of input.reviews) if (review.state !== "COMMENTED" && review.state !== "PENDING") latest.set(key(review.user), review);
  const approvers: string[] = [];
  const voided: string[] = [];
  const ignored: string[] = [];
  for (const review of latest.values()) {
    if (review.state !== "APPROVED") continue;
    if (input.pull && key(review.user) === key(input.pull.author)) ignored.push(`@${review.user} (the author)`);
    else if (input.appLogin && key(review.user) === key(input.appLogin)) ignored.push(`@${review.user} (ngrok-gitops itself)`);
    else if (input.treesAt.get(review.commit_id) !== input.tree) voided.push(`@${review.user} approved ${review.commit_id.slice(0, 7)}, whose credentials/ or policy differ from what this commit applies`);
    else approvers.push(review.user);
  }
  return { approvers, voided, ignored };
}

/** The owners of each file of a changed credential (empty: nobody owns it, any counted approval does). */
function ownersByFile(input: Pick<ReviewInput, "changed" | "codeowners">): { name: string; file: string; owners: Owner[] }[] {
  return input.changed.flatMap((c) => c.files.map((file) => ({ name: c.name, file, owners: input.codeowners ? ownersOf(input.codeowners, file).owners : [] })));
}

/** Per changed credential file: who may approve it, and which counted approvals are from one of them (so far). */
export function ownerApprovals(input: ReviewInput): { name: string; file: string; owners: string[]; approvedBy: string[] }[] {
  const { approvers } = countedApprovals(input);
  const isOwner = (user: string, owners: Owner[]) => owners.some((o) => (o.kind === "user" ? key(o.login) === key(user) : input.members.get(teamKey(o))?.has(key(user)) === true));
  return ownersByFile(input).map(({ name, file, owners }) => ({
    name,
    file,
    owners: owners.map(ownerText),
    // Nobody owns the file: any approval that counts does.
    approvedBy: owners.length === 0 ? approvers : approvers.filter((a) => isOwner(a, owners)),
  }));
}

/** Team memberships the decision needs and `members` does not hold yet: one lookup per (team, approver). */
export function membershipLookups(input: ReviewInput): { org: string; slug: string; user: string }[] {
  const { approvers } = countedApprovals(input);
  const wanted = new Map<string, { org: string; slug: string; user: string }>();
  for (const { owners } of ownersByFile(input)) {
    if (approvers.some((a) => owners.some((o) => o.kind === "user" && key(o.login) === key(a)))) continue;
    for (const owner of owners) {
      if (owner.kind !== "team") continue;
      for (const user of approvers) if (!input.members.get(teamKey(owner))?.has(key(user))) wanted.set(`${teamKey(owner)} ${key(user)}`, { org: owner.org, slug: owner.slug, user });
    }
  }
  return [...wanted.values()];
}

export function decideReview(input: ReviewInput): ReviewDecision {
  const short = input.sha.slice(0, 7);
  const { approvers, voided, ignored } = countedApprovals(input);
  const reasons: string[] = [];
  const isOwner = (user: string, owners: Owner[]) => owners.some((o) => (o.kind === "user" ? key(o.login) === key(user) : input.members.get(teamKey(o))?.has(key(user)) === true));
  const missing: MissingApproval[] = [];
  for (const { name, file, owners } of ownersByFile(input)) {
    if (owners.length === 0 ? approvers.length > 0 : approvers.some((a) => isOwner(a, owners))) continue;
    missing.push({ name, file, owners: owners.length > 0 ? owners.map(ownerText) : ["any reviewer (no owner in CODEOWNERS)"] });
  }
  if (!input.pull) reasons.push(`${short} was pushed without a merged pull request: nothing behind it was reviewed`);
  else if (approvers.length < input.approvals) {
    reasons.push(`#${input.pull.number} has ${approvers.length} approval${approvers.length === 1 ? " that counts" : "s that count"}; the policy requires ${input.approvals}`);
  }
  if (missing.length > 0) reasons.push(`${missing.length} changed credential file${missing.length === 1 ? " lacks" : "s lack"} an owner's approval`);
  if (reasons.length > 0) {
    for (const v of voided) reasons.push(`not counted: ${v}`);
    for (const i of ignored) reasons.push(`not counted: ${i}`);
  }
  return { verdict: reasons.length === 0 ? "approved" : "held", approvers, reasons, missing };
}

/** A hold for a reason other than reviews (GitHub down, CODEOWNERS invalid): everything changed is missing its approval. */
export function heldFor(reason: string, changed: readonly ChangedCredential[]): ReviewDecision {
  return { verdict: "held", approvers: [], reasons: [reason], missing: changed.flatMap((c) => c.files.map((file) => ({ name: c.name, file, owners: ["(could not be determined)"] }))) };
}
