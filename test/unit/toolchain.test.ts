// The lock file keeps one workerd for wrangler dev, wrangler deploy and the workers test pool, agrees with package.json, and installs without EBADENGINE on every Node package.json supports.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as Record<string, unknown>;
const manifest = read("package.json") as { engines: unknown; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = read("package-lock.json") as {
  packages: Record<string, { version?: string; engines?: unknown; cpu?: string[]; os?: string[]; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
};
/** npm's own range logic (semver, installed with the tool chain; it has no types of its own here). */
const semver = createRequire(import.meta.url)("semver") as { subset(sub: string, dom: string): boolean; satisfies(version: string, range: string): boolean };

/** Every installed copy of a package, by version: `node_modules/x` and nested `…/node_modules/x` alike. */
const versionsOf = (name: string) =>
  new Set(Object.entries(lock.packages).flatMap(([path, entry]) => (path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`) ? [entry.version] : [])));

describe("toolchain", () => {
  it.each(["workerd", "miniflare", "wrangler"])("one %s in the lock file", (name) => {
    expect([...versionsOf(name)]).toHaveLength(1);
  });

  it("the workers test pool depends on exactly our wrangler", () => {
    const pool = lock.packages["node_modules/@cloudflare/vitest-pool-workers"];
    expect(pool?.dependencies?.["wrangler"]).toBe(manifest.devDependencies["wrangler"]);
  });

  it("the lock file's root entry matches package.json, so npm install leaves it as committed", () => {
    const rootEntry = lock.packages[""];
    expect(rootEntry?.engines).toEqual(manifest.engines);
    expect(rootEntry?.dependencies).toEqual(manifest.dependencies);
    expect(rootEntry?.devDependencies).toEqual(manifest.devDependencies);
  });

  it("every package installed on Linux or macOS (x64, arm64) accepts every Node version package.json's engines allows", () => {
    const supported = (manifest.engines as { node: string }).node;
    const here = (list: string[] | undefined, ours: string[]) => list === undefined || list.some((v) => ours.includes(v));
    const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    // A package for another platform (e.g. wasm32) is skipped by npm, and so is what only it depends on.
    const skipped = new Set(Object.entries(lock.packages).filter(([, e]) => !here(e.cpu, ["x64", "arm64"]) || !here(e.os, ["linux", "darwin"])).map(([path]) => nameOf(path)));
    const dependents = (name: string) => Object.entries(lock.packages).filter(([, e]) => name in { ...e.dependencies, ...e.optionalDependencies, ...e.devDependencies });
    for (const [path] of Object.entries(lock.packages)) {
      const name = nameOf(path);
      const by = dependents(name);
      if (path !== "" && by.length > 0 && by.every(([p]) => skipped.has(nameOf(p)))) skipped.add(name);
    }
    const refusing = Object.entries(lock.packages)
      .filter(([path, e]) => path !== "" && !skipped.has(nameOf(path)) && typeof (e.engines as { node?: unknown } | undefined)?.node === "string")
      .filter(([, e]) => !semver.subset(supported, (e.engines as { node: string }).node))
      .map(([path, e]) => `${nameOf(path)}@${e.version} wants node ${(e.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
    // The README's promise: the suite runs on 20.19+, 22 (from 22.12) and 24.
    for (const version of ["20.19.0", "22.12.0", "24.0.0"]) expect(semver.satisfies(version, supported)).toBe(true);
  });
});
