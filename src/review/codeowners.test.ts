// CODEOWNERS parsing and matching: GitHub's gitignore-like patterns, last match wins, invalid lines named by line.
import { describe, expect, it } from "vitest";
import { ownersOf, ownerText, parseCodeowners, type Codeowners } from "./codeowners.js";

function parsed(content: string): Codeowners {
  const result = parseCodeowners("CODEOWNERS", content);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.codeowners;
}

const owners = (content: string, path: string) => ownersOf(parsed(content), path).owners.map(ownerText);

describe("patterns", () => {
  it("* owns everything; the last matching line wins", () => {
    const file = "*       @global\n*.yaml  @yaml-owner\ncredentials/team-a/ @acme/team-a\n";
    expect(owners(file, "README.md")).toEqual(["@global"]);
    expect(owners(file, "credentials/shared.yaml")).toEqual(["@yaml-owner"]);
    expect(owners(file, "credentials/team-a/ci.yaml")).toEqual(["@acme/team-a"]);
    // Order matters: the same lines the other way round give the general rule.
    expect(owners("credentials/team-a/ @acme/team-a\n*.yaml @yaml-owner\n", "credentials/team-a/ci.yaml")).toEqual(["@yaml-owner"]);
  });

  it("a pattern without a slash matches at any depth, as a file or a folder", () => {
    expect(owners("ci.yaml @a\n", "credentials/deep/ci.yaml")).toEqual(["@a"]);
    expect(owners("team-a @a\n", "credentials/team-a/x.yaml")).toEqual(["@a"]);
    expect(owners("team-a @a\n", "credentials/team-ab/x.yaml")).toEqual([]);
  });

  it("a leading / anchors to the root; a slash inside anchors too", () => {
    expect(owners("/ci.yaml @a\n", "ci.yaml")).toEqual(["@a"]);
    expect(owners("/ci.yaml @a\n", "credentials/ci.yaml")).toEqual([]);
    expect(owners("credentials/ci.yaml @a\n", "credentials/ci.yaml")).toEqual(["@a"]);
    expect(owners("credentials/ci.yaml @a\n", "other/credentials/ci.yaml")).toEqual([]);
  });

  it("a trailing / matches a folder's contents at any depth, never a file of that name", () => {
    expect(owners("apps/ @a\n", "apps/x.yaml")).toEqual(["@a"]);
    expect(owners("apps/ @a\n", "credentials/apps/deep/x.yaml")).toEqual(["@a"]);
    expect(owners("apps/ @a\n", "credentials/apps")).toEqual([]);
    expect(owners("/credentials/ @a\n", "credentials/x/y.yaml")).toEqual(["@a"]);
    expect(owners("/credentials/ @a\n", "nested/credentials/y.yaml")).toEqual([]);
  });

  it("* and ? stay within one segment", () => {
    expect(owners("credentials/* @a\n", "credentials/x.yaml")).toEqual(["@a"]);
    // docs/* owns docs/getting-started.md but not docs/build-app/troubleshooting.md (GitHub's example): a folder matched by * owns its files, though, as in gitignore.
    expect(owners("credentials/*.yaml @a\n", "credentials/team/x.yaml")).toEqual([]);
    expect(owners("credentials/?.yaml @a\n", "credentials/x.yaml")).toEqual(["@a"]);
    expect(owners("credentials/?.yaml @a\n", "credentials/xy.yaml")).toEqual([]);
  });

  it("** spans folders: leading, trailing and in the middle", () => {
    expect(owners("**/logs @a\n", "build/logs/x")).toEqual(["@a"]);
    expect(owners("**/logs @a\n", "logs/x")).toEqual(["@a"]);
    expect(owners("credentials/** @a\n", "credentials/a/b/c.yaml")).toEqual(["@a"]);
    expect(owners("credentials/** @a\n", "credentials")).toEqual([]);
    expect(owners("credentials/**/ci.yaml @a\n", "credentials/ci.yaml")).toEqual(["@a"]);
    expect(owners("credentials/**/ci.yaml @a\n", "credentials/a/b/ci.yaml")).toEqual(["@a"]);
    expect(owners("credentials/**/ci.yaml @a\n", "credentials/a/b/cd.yaml")).toEqual([]);
  });

  it("a line with no owners clears ownership of what it matches", () => {
    const file = "* @global\ncredentials/unowned/\n";
    expect(ownersOf(parsed(file), "credentials/unowned/x.yaml")).toEqual({ owners: [], line: 2 });
    expect(owners(file, "credentials/x.yaml")).toEqual(["@global"]);
  });

  it("comments, inline comments, blank lines; an escaped # or space inside a pattern is literal", () => {
    const file = "# a comment\n\n*.yaml @a # inline comment @not-an-owner\nfile\\#1.yaml @b\nmy\\ file.yaml @c\n";
    expect(owners(file, "credentials/x.yaml")).toEqual(["@a"]);
    expect(owners(file, "credentials/file#1.yaml")).toEqual(["@b"]);
    expect(owners(file, "credentials/my file.yaml")).toEqual(["@c"]);
  });

  it("owners are users and org teams", () => {
    const rule = parsed("* @alice @acme/platform-team\n").rules[0];
    expect(rule?.owners).toEqual([
      { kind: "user", login: "alice" },
      { kind: "team", org: "acme", slug: "platform-team" },
    ]);
  });

  it("a file with no rules owns nothing", () => {
    expect(ownersOf(parsed(""), "credentials/x.yaml")).toEqual({ owners: [], line: null });
  });
});

describe("invalid lines are errors with their line numbers, never a silent 'no owners'", () => {
  it("names each bad line and what is wrong", () => {
    const result = parseCodeowners(".github/CODEOWNERS", "* @ok\n!credentials/ @a\ncredentials/[ab].yaml @b\n*.yaml alice\n*.yml bob@example.com\n\\#secret @c\n* @bad/team/x\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.file}:${e.line}:${e.column}`)).toEqual([
      ".github/CODEOWNERS:2:1",
      ".github/CODEOWNERS:3:1",
      ".github/CODEOWNERS:4:8",
      ".github/CODEOWNERS:5:7",
      ".github/CODEOWNERS:6:1",
      ".github/CODEOWNERS:7:3",
    ]);
    expect(result.errors[0]?.message).toContain("negation");
    expect(result.errors[1]?.message).toContain("character ranges");
    expect(result.errors[2]?.message).toContain("@login or @org/team");
    expect(result.errors[3]?.message).toContain("email");
    expect(result.errors[4]?.message).toContain("leading #");
    expect(result.errors.every((e) => e.code === "CODEOWNERS_INVALID")).toBe(true);
  });

  it("a trailing lone backslash is an error", () => {
    const result = parseCodeowners("CODEOWNERS", "* @a\ncredentials\\");
    expect(result.ok ? [] : result.errors.map((e) => e.line)).toEqual([2]);
  });
});
