// A pull request's review notes: approvals needed and so far (with the commit each was given on), owners per changed credential and who of them approved.
import { describe, expect, it } from "vitest";
import { parseCodeowners, type Codeowners } from "./codeowners.js";
import type { ReviewInput } from "./decide.js";
import { reviewNotes } from "./so-far.js";

const owners = (text: string): Codeowners => {
  const r = parseCodeowners("CODEOWNERS", text);
  if (!r.ok) throw new Error("bad");
  return r.codeowners;
};

const HEAD = "c1".padEnd(40, "1");
const OLD = "c0".padEnd(40, "0");
const base: ReviewInput = {
  approvals: 1,
  sha: HEAD,
  tree: "T1",
  pull: { number: 5, author: "author" },
  reviews: [],
  treesAt: new Map([[HEAD, "T1"], [OLD, "T0"]]),
  appLogin: "ngrok-gitops[bot]",
  changed: [{ name: "team-a-ci", files: ["credentials/team-a/ci.yaml"] }, { name: "shared", files: ["credentials/shared.yaml"] }],
  codeowners: owners("* @lead\ncredentials/team-a/ @acme/team-a\n"),
  members: new Map([["acme/team-a", new Set(["alice"])]]),
};

describe("reviewNotes", () => {
  it("before any review: none so far, and each credential's owners waiting", () => {
    expect(reviewNotes(base)).toEqual([
      "review: once merged, this is applied only with 1 approval that counts (not the author's), given on the final credentials/ and policy; approvals so far: 0 of 1",
      "review: each changed credential also needs an approval from one of its owners: team-a-ci (credentials/team-a/ci.yaml): @acme/team-a, no owner's approval yet; shared (credentials/shared.yaml): @lead, no owner's approval yet",
    ]);
  });

  it("an owner's approval on the head counts for what that owner owns; one on an older tree, the author's and the App's do not", () => {
    const reviews = [
      { user: "alice", state: "APPROVED", commit_id: HEAD },
      { user: "lead", state: "APPROVED", commit_id: OLD },
      { user: "author", state: "APPROVED", commit_id: HEAD },
      { user: "ngrok-gitops[bot]", state: "APPROVED", commit_id: HEAD },
    ];
    const [approvals, credentials] = reviewNotes({ ...base, reviews });
    expect(approvals).toContain(`approvals so far: 1 of 1 (@alice on ${HEAD.slice(0, 7)}, this head's credentials/ and policy)`);
    expect(approvals).toContain(`not counted: @lead approved ${OLD.slice(0, 7)}, whose credentials/ or policy differ`);
    expect(approvals).toContain("@author (the author)");
    expect(approvals).toContain("@ngrok-gitops[bot] (ngrok-gitops itself)");
    expect(credentials).toContain("team-a-ci (credentials/team-a/ci.yaml): @acme/team-a, approved by @alice");
    expect(credentials).toContain("shared (credentials/shared.yaml): @lead, no owner's approval yet");
  });

  it("a later request for changes withdraws an approval; a file nobody owns takes any approval that counts", () => {
    const reviews = [
      { user: "alice", state: "APPROVED", commit_id: HEAD },
      { user: "alice", state: "CHANGES_REQUESTED", commit_id: HEAD },
      { user: "carol", state: "APPROVED", commit_id: HEAD },
    ];
    const [approvals, credentials] = reviewNotes({ ...base, reviews, codeowners: owners("credentials/team-a/ @acme/team-a\n") });
    expect(approvals).toContain("approvals so far: 1 of 1 (@carol on");
    expect(credentials).toContain("team-a-ci (credentials/team-a/ci.yaml): @acme/team-a, no owner's approval yet");
    expect(credentials).toContain("shared (credentials/shared.yaml): any reviewer (no owner in CODEOWNERS), approved by @carol");
  });
});
