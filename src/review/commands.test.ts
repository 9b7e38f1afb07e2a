// Pull request commands, pure: parsing a comment, write access, and ownership of every changed credential.
import { describe, expect, it } from "vitest";
import { parseCodeowners, type Codeowners } from "./codeowners.js";
import { hasWriteAccess, ownerLookups, ownsChanges, parseCommand } from "./commands.js";

const owners = (text: string): Codeowners => {
  const parsed = parseCodeowners(".github/CODEOWNERS", text);
  if (!parsed.ok) throw new Error("invalid");
  return parsed.codeowners;
};

describe("pull request commands", () => {
  it("reads the command from the first line only, case-insensitively; other comments are no command", () => {
    expect(parseCommand("/ngrok-gitops plan")).toEqual({ command: "plan" });
    expect(parseCommand("  /NGROK-GITOPS Allow-Deletes  \nbecause we retire them")).toEqual({ command: "allow-deletes" });
    expect(parseCommand("/ngrok-gitops apply")).toEqual({ command: "unknown", word: "apply" });
    expect(parseCommand("please /ngrok-gitops plan")).toBeNull();
    expect(parseCommand("lgtm\n/ngrok-gitops plan")).toBeNull();
    expect(parseCommand("/ngrok-gitops plan now")).toBeNull();
  });

  it("write access is admin, maintain or write", () => {
    expect(["admin", "maintain", "write", "read", "triage", "none", null].map(hasWriteAccess)).toEqual([true, true, true, false, false, false, false]);
  });

  it("an owner must own every changed file, as a user or through a team; a change nobody owns is nobody's", () => {
    const co = owners("* @lead\n/credentials/team-a/ @acme/team-a\n/credentials/free/\n");
    const a = { name: "a", files: ["credentials/team-a/a.yaml"] };
    const b = { name: "b", files: ["credentials/b.yaml"] };
    const free = { name: "f", files: ["credentials/free/f.yaml"] };
    expect(ownerLookups("alice", [a, b], co)).toEqual([{ org: "acme", slug: "team-a" }]);
    expect(ownsChanges("alice", [a], co, new Set(["acme/team-a"])).owns).toBe(true);
    expect(ownsChanges("alice", [a, b], co, new Set(["acme/team-a"]))).toEqual({ owns: false, why: "not an owner of b (credentials/b.yaml: @lead)" });
    expect(ownsChanges("LEAD", [b], co, new Set()).owns).toBe(true);
    expect(ownsChanges("lead", [free], co, new Set()).why).toBe("not an owner of f (credentials/free/f.yaml: no owner in CODEOWNERS)");
    expect(ownsChanges("lead", [], co, new Set()).why).toBe("the pull request changes no credential");
  });
});
