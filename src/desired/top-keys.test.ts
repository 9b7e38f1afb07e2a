// The fast parse places unknown top-level keys itself, exactly where the positional parse would, or steps aside.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFast } from "./fast-parse.js";
import { loadSpecs } from "./load.js";
import { topKeys } from "./top-keys.js";

const agree = (content: string) => {
  const sources = [{ path: "credentials/x.yaml", content }];
  expect(loadSpecs(sources, { ownerId: "o" })).toEqual(loadSpecs(sources, { ownerId: "o", fastParse: false }));
};

/** One top-level entry as people (and attackers) write them; some are not plain keys, and then the scan steps aside. */
const entry = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}$/).map((k) => `${k}: 1`),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).map((k) => `${k}:`),
  fc.constantFrom(
    "credentials:\n  - name: a\n    acl: [bind:a.example.com]",
    "credentials:\n- name: b\n- name: c\n  descripton: typo",
    "service_users:\n  - name: robot",
    "credential:\n  - name: d",
    "desc: |\n  k: not a key\n  other: 2",
    'quoted: "runs on\nfake: 1"',
    "'single': 1",
    '"double": 2',
    "1: numeric",
    "0x1F: hex",
    "true: boolean",
    "~: null key",
    "a#b: 1",
    "k : spaced",
    "k:\ttab",
    "url: http://x.example.com",
    "# a comment: 1",
    "",
    "   ",
    "- stray entry",
    "? explicit",
    "[flow]: 1",
    "{a: 1}",
    "...",
  ),
);

describe("top-level keys placed by the fast parse", () => {
  it("agree with the positional parse on every generated file (errors, positions, results)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(entry, { minLength: 1, maxLength: 8 }), fc.boolean(), (comment, start, entries, crlf) => {
        const text = [...(comment ? ["# yaml-language-server: $schema=x"] : []), ...(start ? ["---"] : []), ...entries].join("\n");
        agree(crlf ? text.replaceAll("\n", "\r\n") : text);
      }),
      { numRuns: 1500 },
    );
  });

  it("a flat file of unknown keys is placed without the positional parse, each key at its line", () => {
    const content = ["# keys", "---", "alpha: 1", "", "beta: 2 # two", "gamma:", "  - x"].join("\n");
    const fast = parseFast(content);
    expect(fast).not.toBeNull();
    expect(fast?.pos(["beta"], true)).toEqual({ line: 5, column: 1 });
    expect(fast?.pos([])).toEqual({ line: 3, column: 1 });
    expect(fast?.exact()).toBe(true);
    agree(content);
  });

  it("steps aside when a line only looks like a key, or the keys are not the parsed mapping's", () => {
    expect(topKeys('a: "runs on\nb: 1"\n', ["a"])).toBeNull();
    expect(topKeys("b: 1\n1: 2\n", ["1", "b"])).toBeNull();
    expect(topKeys("  a: 1\n", ["a"])).toBeNull();
    expect(topKeys("a: |\n  b: 1\nc: 2\n", ["a", "c"])).toEqual({ lines: new Map([["a", 1], ["c", 3]]), first: 1 });
  });
});
