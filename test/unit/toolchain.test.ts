// The lock file keeps one workerd for wrangler dev, wrangler deploy and the workers test pool, and agrees with package.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as Record<string, unknown>;
const manifest = read("package.json") as { engines: unknown; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = read("package-lock.json") as { packages: Record<string, { version?: string; engines?: unknown; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };

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
});
