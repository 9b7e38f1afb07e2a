// The example specs in credentials/ are valid: they are what a newcomer copies first.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { isSpecPath, loadSpecs } from "./load.js";

const root = new URL("../..", import.meta.url).pathname;

it("credentials/ examples validate", () => {
  const files = readdirSync(join(root, "credentials"), { recursive: true, encoding: "utf8" })
    .map((path) => relative(root, join(root, "credentials", path)))
    .filter(isSpecPath);
  const result = loadSpecs(files.map((path) => ({ path, content: readFileSync(join(root, path), "utf8") })), { ownerId: "ngrok-gitops" });
  expect(result.ok ? [] : result.errors.map(formatSpecError)).toEqual([]);
  expect(result.ok && result.specs.map((s) => s.name)).toEqual(["ci-runners", "device-alpha-2", "load-test", "support-laptops"]);
});
