// Pull request commands, pure: what a comment asks for, and whether its author may ask it (write access, or owning every changed credential).
import type { ChangedCredential } from "./decide.js";
import { ownersOf, ownerText, type Codeowners, type Owner } from "./codeowners.js";

export type CommandName = "plan" | "allow-deletes";

const COMMANDS: readonly CommandName[] = ["plan", "allow-deletes"];

/** The command a comment's first line gives (`/ngrok-gitops plan`), `unknown` for another word after the prefix, null for any other comment. */
export function parseCommand(body: string): { command: CommandName } | { command: "unknown"; word: string } | null {
  const first = (body.split(/\r?\n/, 1)[0] ?? "").trim();
  const match = /^\/ngrok-gitops(?:\s+(\S+))?\s*$/i.exec(first);
  if (!match) return null;
  const word = (match[1] ?? "").toLowerCase();
  return (COMMANDS as readonly string[]).includes(word) ? { command: word as CommandName } : { command: "unknown", word };
}

/** GET …/collaborators/{user}/permission's `permission` (admin, write, read, none; maintain reports as write): write access or not. */
export function hasWriteAccess(permission: string | null): boolean {
  return permission === "admin" || permission === "write" || permission === "maintain";
}

/** Team lookups needed to know whether `user` owns every changed file (a user-owner match needs none). */
export function ownerLookups(user: string, changed: readonly ChangedCredential[], codeowners: Codeowners | null): { org: string; slug: string }[] {
  const wanted = new Map<string, { org: string; slug: string }>();
  for (const owners of fileOwners(changed, codeowners)) {
    if (owners.some((o) => o.kind === "user" && o.login.toLowerCase() === user.toLowerCase())) continue;
    for (const o of owners) if (o.kind === "team") wanted.set(`${o.org}/${o.slug}`.toLowerCase(), { org: o.org, slug: o.slug });
  }
  return [...wanted.values()];
}

/**
 * Whether `user` owns the pull request's changed credentials: for each file of each, a CODEOWNERS owner (themselves
 * or an active member of an owning team, `memberOf` lower-cased `org/slug`). A change nobody owns, or no change, is not theirs.
 */
export function ownsChanges(user: string, changed: readonly ChangedCredential[], codeowners: Codeowners | null, memberOf: ReadonlySet<string>): { owns: boolean; why: string } {
  const files = fileOwners(changed, codeowners);
  if (files.length === 0) return { owns: false, why: "the pull request changes no credential" };
  const me = user.toLowerCase();
  const isOwner = (o: Owner) => (o.kind === "user" ? o.login.toLowerCase() === me : memberOf.has(`${o.org}/${o.slug}`.toLowerCase()));
  const notMine = changed.flatMap((c) => c.files.filter((file) => !(codeowners ? ownersOf(codeowners, file).owners : []).some(isOwner)).map((file) => {
    const owners = codeowners ? ownersOf(codeowners, file).owners.map(ownerText) : [];
    return `${c.name} (${file}: ${owners.length > 0 ? owners.join(" or ") : "no owner in CODEOWNERS"})`;
  }));
  return notMine.length === 0 ? { owns: true, why: "an owner of every changed credential" } : { owns: false, why: `not an owner of ${notMine.join(", ")}` };
}

function fileOwners(changed: readonly ChangedCredential[], codeowners: Codeowners | null): Owner[][] {
  return changed.flatMap((c) => c.files.map((file) => (codeowners ? ownersOf(codeowners, file).owners : [])));
}
