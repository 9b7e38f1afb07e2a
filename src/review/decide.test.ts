// The review decision: counted approvals (tree seen, author, App), owners per changed credential, team membership.
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import { parseCodeowners, type Codeowners } from "./codeowners.js";
import { changedCredentials, decideReview, membershipLookups, type ReviewInput } from "./decide.js";

const owners = (text: string): Codeowners => {
  const r = parseCodeowners("CODEOWNERS", text);
  if (!r.ok) throw new Error("bad");
  return r.codeowners;
};

const base: ReviewInput = {
  approvals: 1,
  sha: "a".repeat(40),
  tree: "T1",
  pull: { number: 5, author: "author" },
  reviews: [],
  treesAt: new Map([["c1", "T1"], ["c0", "T0"]]),
  appLogin: "ngrok-gitops[bot]",
  changed: [{ name: "team-a-ci", files: ["credentials/team-a/ci.yaml"] }],
  codeowners: owners("* @lead\ncredentials/team-a/ @acme/team-a\n"),
  members: new Map(),
};

describe("decideReview", () => {
  it("holds a direct push, naming the owners of each changed credential", () => {
    const d = decideReview({ ...base, pull: null });
    expect(d.verdict).toBe("held");
    expect(d.reasons[0]).toContain("without a merged pull request");
    expect(d.missing).toEqual([{ name: "team-a-ci", file: "credentials/team-a/ci.yaml", owners: ["@acme/team-a"] }]);
  });

  it("an approval from a non-owner holds; a team member's approval applies", () => {
    const reviews = [{ user: "outsider", state: "APPROVED", commit_id: "c1" }];
    expect(decideReview({ ...base, reviews }).verdict).toBe("held");
    expect(membershipLookups({ ...base, reviews })).toEqual([{ org: "acme", slug: "team-a", user: "outsider" }]);
    const member = new Map([["acme/team-a", new Set(["outsider"])]]);
    expect(decideReview({ ...base, reviews, members: member })).toMatchObject({ verdict: "approved", approvers: ["outsider"] });
  });

  it("an approval of another tree, the author's own and our App's do not count", () => {
    const members = new Map([["acme/team-a", new Set(["x", "author", "ngrok-gitops[bot]"])]]);
    const d = decideReview({
      ...base,
      members,
      reviews: [
        { user: "x", state: "APPROVED", commit_id: "c0" },
        { user: "author", state: "APPROVED", commit_id: "c1" },
        { user: "ngrok-gitops[bot]", state: "APPROVED", commit_id: "c1" },
      ],
    });
    expect(d.verdict).toBe("held");
    expect(d.approvers).toEqual([]);
    expect(d.reasons.join("\n")).toMatch(/@x approved c0.*differ/);
  });

  it("a later request for changes withdraws an approval; a comment does not", () => {
    const members = new Map([["acme/team-a", new Set(["x"])]]);
    const approved = { user: "x", state: "APPROVED", commit_id: "c1" };
    expect(decideReview({ ...base, members, reviews: [approved, { user: "x", state: "COMMENTED", commit_id: "c1" }] }).verdict).toBe("approved");
    expect(decideReview({ ...base, members, reviews: [approved, { user: "x", state: "CHANGES_REQUESTED", commit_id: "c1" }] }).verdict).toBe("held");
  });

  it("counts approvals against review.approvals", () => {
    const reviews = [{ user: "lead", state: "APPROVED", commit_id: "c1" }];
    const d = decideReview({ ...base, approvals: 2, changed: [{ name: "x", files: ["credentials/x.yaml"] }], reviews });
    expect(d.verdict).toBe("held");
    expect(d.reasons[0]).toContain("1 approval that counts; the policy requires 2");
  });
});

describe("changedCredentials", () => {
  const spec = (name: string, file: string, description = ""): CredentialSpec => ({ name, description, metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file, line: 1, column: 1, field: "" } }) as CredentialSpec;
  it("a spec item that differs, moves, appears or disappears is changed; so is what the plan changes", () => {
    const before = [spec("same", "credentials/a.yaml"), spec("edited", "credentials/a.yaml"), spec("moved", "credentials/a.yaml"), spec("gone", "credentials/a.yaml"), spec("drifted", "credentials/a.yaml")];
    const after = [spec("same", "credentials/a.yaml"), spec("edited", "credentials/a.yaml", "new"), spec("moved", "credentials/b.yaml"), spec("new", "credentials/b.yaml"), spec("drifted", "credentials/a.yaml")];
    const changed = changedCredentials(before, after, { changes: [{ action: "delete", name: "drifted", id: "cr_1", reason: "removed" }] });
    expect(changed).toEqual([
      { name: "drifted", files: ["credentials/a.yaml"] },
      { name: "edited", files: ["credentials/a.yaml"] },
      { name: "gone", files: ["credentials/a.yaml"] },
      { name: "moved", files: ["credentials/b.yaml", "credentials/a.yaml"] },
      { name: "new", files: ["credentials/b.yaml"] },
    ]);
  });
});
