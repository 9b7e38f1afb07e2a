// choosePolicy: on a pull request the default branch's policy judges, and the plan shows what the PR changes in it.
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { loadSpecs } from "./load.js";
import { choosePolicy, describePolicy } from "./repo-policy-choice.js";
import { loadPolicy } from "./repo-policy-file.js";

const FILE = "ngrok-gitops.policy.yaml";
const file = (content: string) => ({ path: FILE, content });
const STRICT = file("require: [description]\nacl:\n  allow: ['*.example.com']\nmax_lifetime: 90d\n");
const LOOSE = file("acl:\n  allow: ['*.example.com', '*.other.com']\nmax_lifetime: 365d\n");
const BROKEN = file("require: descripton\n");

describe("choosePolicy", () => {
  it("outside a pull request, the commit's own policy judges", () => {
    const choice = choosePolicy({ head: STRICT });
    expect(choice.errors).toEqual([]);
    expect(choice.notes).toEqual([]);
    expect(choice.policy && describePolicy(choice.policy)).toEqual(["require: description", "acl.allow: *.example.com", "max_lifetime: 90d"]);
    expect(choosePolicy({ head: null })).toEqual({ policy: null, errors: [], notes: [] });
    expect(choosePolicy({ head: BROKEN }).errors.map(formatSpecError)).toEqual([`${FILE}:1:10: require: expected a list, got string ("descripton")`]);
  });

  it("a pull request that loosens the policy is judged by the default branch's, and the change is shown", () => {
    const choice = choosePolicy({ base: STRICT, head: LOOSE });
    expect(choice.policy).toEqual(loadPolicy(STRICT).ok && (loadPolicy(STRICT) as { policy: unknown }).policy);
    expect(choice.errors).toEqual([]);
    expect(choice.notes).toEqual([
      `this pull request changes ${FILE} (- require: description; - max_lifetime: 90d; + acl.allow: *.other.com; + max_lifetime: 365d); the default branch's policy judged this plan, and the new one takes effect once merged`,
    ]);
    // So a spec the new policy would allow is still refused.
    const spec = { path: "credentials/a.yaml", content: "credentials:\n  - name: a\n    acl: [bind:a.other.com]\n    expires: 2027-02-01\n" };
    const judged = loadSpecs([spec], { ownerId: "o", policy: { policy: choice.policy!, now: Date.UTC(2027, 0, 1) } });
    expect(judged.ok ? [] : judged.errors.map((e) => e.rule)).toEqual(["require", "acl.allow"]);
  });

  it("an unchanged policy, or one changed only in comments and order of keys, adds no note", () => {
    expect(choosePolicy({ base: STRICT, head: STRICT }).notes).toEqual([]);
    expect(choosePolicy({ base: STRICT, head: file("# reordered\nmax_lifetime: 90d\nacl: {allow: ['*.example.com']}\nrequire: [description]\n") }).notes).toEqual([]);
  });

  it("adding, deleting or breaking the policy in a pull request", () => {
    expect(choosePolicy({ base: null, head: STRICT })).toEqual({
      policy: null,
      errors: [],
      notes: [`this pull request adds ${FILE} (+ require: description; + acl.allow: *.example.com; + max_lifetime: 90d); it takes effect once merged, so no policy judged this plan`],
    });
    expect(choosePolicy({ base: null, head: file("") }).notes).toEqual([`this pull request adds ${FILE} with no rules; it takes effect once merged, so no policy judged this plan`]);
    const deleted = choosePolicy({ base: STRICT, head: null });
    expect(deleted.policy).not.toBeNull();
    expect(deleted.notes).toEqual([`this pull request deletes ${FILE}; its rules keep judging until the pull request is merged`]);
    // A broken policy would stop every run once merged: the pull request fails on it.
    const broken = choosePolicy({ base: STRICT, head: BROKEN });
    expect(broken.policy).not.toBeNull();
    expect(broken.errors.map(formatSpecError)).toEqual([`${FILE}:1:10: require: expected a list, got string ("descripton")`]);
    expect(broken.notes).toEqual([`this pull request's ${FILE} is invalid (see the errors above); the default branch's policy judged this plan`]);
  });

  it("an invalid base policy judges nothing: the pull request that repairs it is judged by the repair", () => {
    const repaired = choosePolicy({ base: BROKEN, head: STRICT });
    expect(repaired.policy && describePolicy(repaired.policy)).toEqual(["require: description", "acl.allow: *.example.com", "max_lifetime: 90d"]);
    expect(repaired.notes).toEqual([`${FILE} is invalid on the default branch, so this pull request's version of it judged this plan`]);
    expect(choosePolicy({ base: BROKEN, head: BROKEN }).errors).toHaveLength(1);
    expect(choosePolicy({ base: BROKEN, head: null })).toEqual({ policy: null, errors: [], notes: [`this pull request deletes ${FILE}, which is invalid on the default branch`] });
  });

  it("a pull request based on another branch is judged by the default branch's policy, and says it is never applied from there", () => {
    const choice = choosePolicy({ base: STRICT, head: LOOSE, offDefault: { base: "legacy", defaultBranch: "main" } });
    expect(choice.policy && describePolicy(choice.policy)).toEqual(["require: description", "acl.allow: *.example.com", "max_lifetime: 90d"]);
    expect(choice.notes).toEqual([
      "this pull request's base is legacy, not the default branch main: it will never be applied from there (only main is), and main's policy judged this plan",
      `this pull request changes ${FILE} (- require: description; - max_lifetime: 90d; + acl.allow: *.other.com; + max_lifetime: 365d); the default branch's policy judged this plan, and the new one takes effect once it reaches main`,
    ]);
    // The note is there even when nothing else is said.
    expect(choosePolicy({ base: STRICT, head: STRICT, offDefault: { base: "legacy", defaultBranch: "main" } }).notes).toHaveLength(1);
  });
});
