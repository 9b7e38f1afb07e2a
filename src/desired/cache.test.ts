// The per-file parse cache: same results as without it, a file is parsed once per content, and cached results are never mutated.
import { expect, it } from "vitest";
import { fileCacheKey, loadSpecs, type FileCache, type FileResult } from "./load.js";

function countingCache() {
  const map = new Map<string, FileResult>();
  const stats = { hits: 0, misses: 0 };
  const cache: FileCache = {
    get: (key) => {
      const hit = map.get(key);
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
