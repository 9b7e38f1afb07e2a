// Every check on every item at once, the checks across files included, with items named by their name: through loadSpecs.
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { loadSpecs } from "./load.js";

function load(files: Record<string, string>) {
  return loadSpecs(Object.entries(files).map(([path, content]) => ({ path, content })), { ownerId: "test-owner" });
}

function messages(files: Record<string, string>): string[] {
  const result = load(files);
  if (result.ok) throw new Error("expected errors");
  return result.errors.map(formatSpecError);
}

describe("duplicates across files come with the item's other errors", () => {
  it("an item with errors is still checked for a duplicate name, reported in its file's order", () => {
    expect(
      messages({
        "credentials/a.yaml": "credentials:\n  - name: web\n",
        "credentials/b.yaml": "credentials:\n  - name: web\n    acl: [nope]\n    colour: red\n",
        "credentials/c.yaml": "credentials:\n  - name: api\n    acl: [bind:x.com:70000]\n",
      }),
    ).toEqual([
      'credentials/b.yaml:2:11: credentials[0] (web).name: "web" is already defined at credentials/a.yaml:2:11; names are unique across all files',
      'credentials/b.yaml:3:11: credentials[0] (web).acl[0]: invalid ACL rule "nope": must be "*" or start with "bind:" (the only rule ngrok supports)',
      'credentials/b.yaml:4:5: credentials[0] (web).colour: unknown key "colour" (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
      'credentials/c.yaml:3:11: credentials[0] (api).acl[0]: invalid ACL rule "bind:x.com:70000": port 70000 is out of range 1-65535 (a TCP address is host:port)',
    ]);
  });

  it("an invalid first definition counts too, and so do imports", () => {
    expect(
      messages({
        "credentials/a.yaml": "credentials:\n  - name: web\n    import: cr_1\n    acl: [nope]\n",
        "credentials/b.yaml": "credentials:\n  - name: web\n  - name: api\n    import: cr_1\n",
      }),
    ).toEqual([
      'credentials/a.yaml:4:11: credentials[0] (web).acl[0]: invalid ACL rule "nope": must be "*" or start with "bind:" (the only rule ngrok supports)',
      'credentials/b.yaml:2:11: credentials[0] (web).name: "web" is already defined at credentials/a.yaml:2:11; names are unique across all files',
      'credentials/b.yaml:3:11: credentials[1] (api).import: cr_1 is already imported by "web" (credentials/a.yaml:2)',
    ]);
  });

  it("the same file twice over: the second definition is the error, whichever item is invalid", () => {
    expect(messages({ "credentials/a.yaml": "credentials:\n  - name: web\n    colour: red\n  - name: web\n" })).toEqual([
      'credentials/a.yaml:3:5: credentials[0] (web).colour: unknown key "colour" (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
      'credentials/a.yaml:4:11: credentials[1] (web).name: "web" is already defined at credentials/a.yaml:2:11; names are unique across all files',
    ]);
  });

  it("an invalid name is its own error, not a duplicate as well", () => {
    expect(messages({ "credentials/a.yaml": "credentials:\n  - name: Web\n", "credentials/b.yaml": "credentials:\n  - name: Web\n" }).map((m) => m.slice(0, 66))).toEqual([
      'credentials/a.yaml:2:11: credentials[0].name: "Web" is not a valid',
      'credentials/b.yaml:2:11: credentials[0].name: "Web" is not a valid',
    ]);
  });
});

describe("items are named by their name", () => {
  it("errors carry the item's name; an item without a valid name is named by its index alone", () => {
    const result = load({ "credentials/a.yaml": "credentials:\n  - name: ci-runners\n    acl: [nope]\n  - name: Bad_Name\n    acl: [nope]\n  - acl: [nope]\n" });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => [e.field, e.item])).toEqual([
      ["credentials[0].acl[0]", "ci-runners"],
      ["credentials[1].name", undefined],
      ["credentials[1].acl[0]", undefined],
      ["credentials[2].name", undefined],
      ["credentials[2].acl[0]", undefined],
    ]);
    expect(errors.map(formatSpecError)[0]).toBe('credentials/a.yaml:3:11: credentials[0] (ci-runners).acl[0]: invalid ACL rule "nope": must be "*" or start with "bind:" (the only rule ngrok supports)');
  });
});

describe("did you mean", () => {
  it("suggests the known key of that object within two edits", () => {
    expect(messages({ "credentials/a.yaml": "credentials:\n  - name: a\n    Descripton: x\n    rotate_afer: 9d\n" })).toEqual([
      'credentials/a.yaml:3:5: credentials[0] (a).Descripton: unknown key "Descripton": did you mean "description"? (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
      'credentials/a.yaml:4:5: credentials[0] (a).rotate_afer: unknown key "rotate_afer": did you mean "rotate_after"? (allowed: name, description, metadata, acl, owner_id, owner, prevent_destroy, import, deliver, rotate_after, expires)',
    ]);
  });

  it("inside deliver targets and at the top of the file", () => {
    expect(
      messages({ "credentials/a.yaml": "credentials:\n  - name: a\n    deliver:\n      - github_actions_secret: {repo: a/b, name: X, enviroment: prod}\n      - github_action_secret: {repo: a/b, name: X}\n" }),
    ).toEqual([
      'credentials/a.yaml:4:53: credentials[0] (a).deliver[0].github_actions_secret.enviroment: unknown key "enviroment": did you mean "environment"? (allowed: repo, name, environment)',
      'credentials/a.yaml:5:9: credentials[0] (a).deliver[1].github_action_secret: unknown key "github_action_secret": did you mean "github_actions_secret"? (allowed: github_actions_secret, github_actions_org_secret)',
      "credentials/a.yaml:5:9: credentials[0] (a).deliver[1]: names exactly one target: github_actions_secret or github_actions_org_secret",
    ]);
    expect(messages({ "credentials/a.yaml": "credential:\n  - name: a\n" })).toEqual([
      'credentials/a.yaml:1:1: credential: unknown key "credential": did you mean "credentials"? (a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`)',
      "credentials/a.yaml:1:1: credentials: required: a list of credentials (or of service_users, api_keys, ssh_credentials)",
    ]);
  });

  it("no suggestion for a key far from every known one", () => {
    expect(messages({ "credentials/a.yaml": "credentials:\n  - name: a\n    colour: red\n" })[0]).not.toContain("did you mean");
  });
});
