// Edit distance and the nearest known key for "did you mean".
import { describe, expect, it } from "vitest";
import { closestKey, didYouMean, distance } from "./suggest.js";

describe("suggest", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(distance("kitten", "sitting")).toBe(3);
    expect(distance("descripton", "description")).toBe(1);
    expect(distance("", "acl")).toBe(3);
    expect(distance("abc", "abc")).toBe(0);
    expect(distance("kitten", "sitting", 2)).toBe(3);
  });

  it("the closest key within 2 edits, case ignored; none beyond", () => {
    expect(closestKey("acls", ["name", "acl"])).toBe("acl");
    expect(closestKey("NAME", ["name", "acl"])).toBe("name");
    expect(closestKey("colour", ["name", "acl", "description"])).toBeNull();
    expect(didYouMean("nmae", ["name"])).toBe(': did you mean "name"?');
    expect(didYouMean("colour", ["name"])).toBe("");
  });
});
