// A changed item of any kind is reviewed by the owners of the file(s) it is defined in.
import { describe, expect, it } from "vitest";
import { loadSpecs } from "../desired/load.js";
import type { KindSpecs } from "../desired/kind-types.js";
import { parseCodeowners } from "./codeowners.js";
import { decideReview } from "./decide.js";
import { changedKindItems } from "./kinds.js";

const kinds = (files: Record<string, string>): KindSpecs => {
  const loaded = loadSpecs(Object.entries(files).map(([path, content]) => ({ path, content })), { ownerId: "o" });
  if (!loaded.ok) throw new Error("invalid");
  return loaded.kinds;
};

describe("changedKindItems", () => {
  const before = kinds({ "credentials/team-a/users.yaml": "service_users:\n  - name: ci\napi_keys:\n  - name: k\n    owner: ci\n" });

  it("names what changed, with its files before and after; unchanged items are not named", () => {
    const after = kinds({ "credentials/team-a/users.yaml": "service_users:\n  - name: ci\n", "credentials/team-b/keys.yaml": "api_keys:\n  - name: k\n    description: moved\n" });
    expect(changedKindItems(before, after)).toEqual([{ name: "api_keys/k", files: ["credentials/team-b/keys.yaml", "credentials/team-a/users.yaml"] }]);
    expect(changedKindItems(before, before)).toEqual([]);
    expect(changedKindItems(null, before).map((c) => c.name)).toEqual(["api_keys/k", "service_users/ci"]);
  });

  it("each file's CODEOWNERS must approve: team-b's owner alone does not release a key that left team-a's file", () => {
    const after = kinds({ "credentials/team-a/users.yaml": "service_users:\n  - name: ci\n", "credentials/team-b/keys.yaml": "api_keys:\n  - name: k\n" });
    const parsed = parseCodeowners("CODEOWNERS", "/credentials/team-a/ @alice\n/credentials/team-b/ @bob\n");
    if (!parsed.ok) throw new Error("bad CODEOWNERS");
    const decision = decideReview({
      approvals: 1,
      sha: "s",
      tree: "t",
      pull: { number: 1, author: "carol" },
      reviews: [{ user: "bob", state: "APPROVED", commit_id: "s" }],
      treesAt: new Map([["s", "t"]]),
      appLogin: null,
      changed: changedKindItems(before, after),
      codeowners: parsed.codeowners,
      members: new Map(),
    });
    expect(decision.verdict).toBe("held");
    expect(decision.missing).toEqual([{ name: "api_keys/k", file: "credentials/team-a/users.yaml", owners: ["@alice"] }]);
  });
});
