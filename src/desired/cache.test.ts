// The parse cache: same results as without it, a file is parsed once per content, a changed file only in its
// changed items, and cached results are never mutated.
import fc from "fast-check";
import jsyaml from "js-yaml";
import { afterEach, expect, it, vi } from "vitest";
import { fileCacheKey, lastVersionKey, loadSpecs, type FileCache, type FileResult } from "./load.js";

function countingCache() {
  const map = new Map<string, FileResult>();
  const stats = { hits: 0, misses: 0 };
  const cache: FileCache = {
    get: (key) => {
      const hit = map.get(key);
      // Looking up a path's last version is not a file lookup.
      if (key.includes("\0\0last\0")) return hit;
      if (hit) stats.hits++;
      else stats.misses++;
      return hit;
    },
    set: (key, result) => void map.set(key, result),
  };
  return { cache, stats, map };
}

const files = [
  { path: "credentials/a.yaml", content: "credentials:\n  - name: a\n    acl: [bind:b.com, bind:a.com]\n" },
  { path: "credentials/b.yaml", content: "credentials:\n  - name: Bad\n  - name: b\n    acl: [nope]\n" },
];

it("gives the same results with and without the cache, parsing each file once", () => {
  const { cache, stats } = countingCache();
  const plain = loadSpecs(files, { ownerId: "o" });
  const first = loadSpecs(files, { ownerId: "o", cache });
  const second = loadSpecs(files, { ownerId: "o", cache });
  expect(first).toEqual(plain);
  expect(second).toEqual(plain);
  expect(stats).toEqual({ hits: 2, misses: 2 });
});

it("keys by path, owner and content (or blob SHA), so any change misses", () => {
  const source = files[0]!;
  const key = fileCacheKey(source, "o");
  expect(fileCacheKey({ ...source, content: `${source.content}\n` }, "o")).not.toBe(key);
  expect(fileCacheKey({ ...source, path: "credentials/z.yaml" }, "o")).not.toBe(key);
  expect(fileCacheKey(source, "other-owner")).not.toBe(key);
  expect(fileCacheKey({ ...source, sha: "abc" }, "o")).toBe(fileCacheKey({ ...source, content: "different", sha: "abc" }, "o"));
});

it("never mutates what it cached (errors are sorted in a copy)", () => {
  const { cache, map } = countingCache();
  loadSpecs(files, { ownerId: "o", cache });
  const snapshot = JSON.stringify([...map.values()]);
  loadSpecs(files, { ownerId: "o", cache });
  loadSpecs([files[1]!], { ownerId: "o", cache });
  expect(JSON.stringify([...map.values()])).toBe(snapshot);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const entry = (name: string, extra = "") => `  - name: ${name}\n    description: "agent ${name}"${extra}\n    acl:\n      - bind:${name}.example.com\n`;
const fileOf = (entries: readonly string[]) => ({ path: "credentials/team.yaml", content: `# team\ncredentials:\n${entries.join("")}` });
const slow = (source: { path: string; content: string }) => loadSpecs([source], { ownerId: "o", fastParse: false });

it("reads a changed file item by item, parsing only the items its last version did not have", () => {
  const { cache } = countingCache();
  const names = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
  const parse = vi.spyOn(jsyaml, "load");
  loadSpecs([fileOf(names.map((n) => entry(n)))], { ownerId: "o", cache });
  expect(parse).toHaveBeenCalledTimes(20);
  parse.mockClear();
  // A new first entry shifts every line and index; one entry edited, one deleted.
  const next = fileOf([entry("new"), ...names.filter((n) => n !== "svc-15").map((n) => (n === "svc-10" ? entry(n, "\n    prevent_destroy: true") : entry(n)))]);
  const loaded = loadSpecs([next], { ownerId: "o", cache });
  expect(parse).toHaveBeenCalledTimes(2);
  expect(loaded).toEqual(slow(next));
  // The last version is remembered by path and owner only.
  expect(lastVersionKey("credentials/team.yaml", "o")).not.toBe(lastVersionKey("credentials/team.yaml", "p"));
});

it("never reuses an item whose meaning comes from another (an alias), nor one from another owner's load", () => {
  const { cache } = countingCache();
  const v1 = fileOf([entry("a").replace('"agent a"', "&d hello"), entry("b").replace('"agent b"', "*d")]);
  const v2 = { ...v1, content: v1.content.replace("&d hello", "&d goodbye") };
  expect(loadSpecs([v1], { ownerId: "o", cache })).toEqual(slow(v1));
  const second = loadSpecs([v2], { ownerId: "o", cache });
  expect(second).toEqual(slow(v2));
  expect(second.ok && second.specs.find((s) => s.name === "b")?.description).toBe("goodbye");
  // The marker's bytes count against the metadata limit, so a result is only reused for the same owner.
  const long = fileOf([entry("c", `\n    metadata: "${"x".repeat(3_960)}"`)]);
  loadSpecs([long], { ownerId: "o", cache });
  const other = { ...long, content: `${long.content}  - name: d\n` };
  expect(loadSpecs([other], { ownerId: "o".repeat(60), cache })).toEqual(loadSpecs([other], { ownerId: "o".repeat(60), fastParse: false }));
});

it("gives what a fresh parse gives for any edit of any file (results, errors and positions)", { timeout: 60_000 }, () => {
  const variants = [
    (n: string) => entry(n),
    (n: string) => entry(n, "   # a comment"),
    (n: string) => `  - name: "${n}"\n    metadata: {team: x, n: 1}\n`,
    (n: string) => `  - {name: ${n}}\n`,
    (n: string) => `  - name: ${n}\n    description: &${n.replace(/[^a-z0-9]/g, "")} shared\n`,
    (n: string) => `  - name: ${n}\n    description: *a\n`,
    (n: string) => `  - name: ${n}\n    acl: [nope]\n`,
    (n: string) => `  - name: ${n}\n    description: |\n      two\n      lines\n# between\n`,
    (n: string) => `  - name: ${n}\n    description: "runs\n  - name: on"\n`,
    (n: string) => `  - name: ${n}\n\n`,
  ];
  const item = fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.nat(variants.length - 1)).map(([n, v]) => (variants[v] as (n: string) => string)(n));
  fc.assert(
    fc.property(fc.array(item, { maxLength: 6 }), fc.array(item, { maxLength: 6 }), (before, after) => {
      const { cache } = countingCache();
      const first = fileOf(before);
      const second = fileOf(after);
      expect(loadSpecs([first], { ownerId: "o", cache })).toEqual(slow(first));
      expect(loadSpecs([second], { ownerId: "o", cache })).toEqual(slow(second));
    }),
    { numRuns: 1000 },
  );
});
