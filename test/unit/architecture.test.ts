// The layout rules of src/, checked over the files: shipped code imports no harness, no module is over 300 lines, the Durable Object renders no plans.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAX_LINES = 300;
/** Folders of the repository that are harness, never product: the `npm start` harness, the stand-ins, the tests. */
const HARNESS = ["dev/", "standins/", "test/"];
/** Plan rendering: the plan's text and markdown (render*.ts) and the merged pull request's outcome section. */
const PLAN_RENDERING = /^src\/plan\/(render[^/]*|outcome)\.ts$/;

/** A module as the rules see it: its path from the repository root and its text. */
interface Module {
  path: string;
  text: string;
}

function modulesUnder(dir: string): Module[] {
  const out: Module[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const path = relative(ROOT, join(entry.parentPath, entry.name)).split("\\").join("/");
    out.push({ path, text: readFileSync(join(ROOT, path), "utf8") });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

const isTestModule = (path: string) => path.endsWith(".test.ts");

/** What a module imports (static, `export … from`, dynamic), relative ones resolved to a path from the root. */
function importsOf(module: Module): string[] {
  const specifiers = [...module.text.matchAll(/\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm)].map(
    (m) => (m[1] ?? m[2] ?? m[3]) as string,
  );
  return specifiers.map((s) => (s.startsWith(".") ? relative(ROOT, join(ROOT, dirname(module.path), s)).split("\\").join("/") : s));
}

/** Non-test modules of src/ that import a harness folder, as "module → import". */
function harnessImports(modules: readonly Module[]): string[] {
  return modules
    .filter((m) => m.path.startsWith("src/") && !isTestModule(m.path))
    .flatMap((m) => importsOf(m).filter((target) => HARNESS.some((h) => target.startsWith(h))).map((target) => `${m.path} → ${target}`));
}

/** Non-test modules of src/ over MAX_LINES lines, as "module: N lines". */
function longModules(modules: readonly Module[]): string[] {
  return modules
    .filter((m) => m.path.startsWith("src/") && !isTestModule(m.path))
    .map((m) => ({ path: m.path, lines: m.text.split("\n").length - (m.text.endsWith("\n") ? 1 : 0) }))
    .filter((m) => m.lines > MAX_LINES)
    .map((m) => `${m.path}: ${m.lines} lines`);
}

/** Modules of src/reconciler/ (the Durable Object adapter) that import plan rendering, as "module → import". */
function reconcilerRendering(modules: readonly Module[]): string[] {
  return modules
    .filter((m) => m.path.startsWith("src/reconciler/"))
    .flatMap((m) => importsOf(m).filter((target) => PLAN_RENDERING.test(`${target.replace(/\.js$/, "")}.ts`)).map((target) => `${m.path} → ${target}`));
}

/** Relative imports written without their `.js` (one import style: what Node's ESM resolution and workerd both load), as "module → specifier". */
function unsuffixedImports(modules: readonly Module[]): string[] {
  return modules.flatMap((m) =>
    [...m.text.matchAll(/\b(?:import|export)\s[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)]
      .map((match) => (match[1] ?? match[2]) as string)
      .filter((specifier) => !/\.(js|mjs|json)$/.test(specifier))
      .map((specifier) => `${m.path} → ${specifier}`),
  );
}

const SRC = modulesUnder("src");
/** Every TypeScript module of the repository that one import style covers. */
const ALL = ["src", "dev", "standins", "test", "bench", "scripts"].flatMap(modulesUnder);

describe("src/ holds the product", () => {
  it("no non-test module in src/ imports dev/, standins/ or test/", () => {
    expect(harnessImports(SRC)).toEqual([]);
  });

  it(`no non-test module in src/ is over ${MAX_LINES} lines`, () => {
    expect(longModules(SRC)).toEqual([]);
  });

  it("the Durable Object adapter (src/reconciler/) imports no plan rendering: the GitHub reporter in src/github/ does", () => {
    expect(reconcilerRendering(SRC)).toEqual([]);
  });

  it("one import style: every relative import names its .js, in src/, dev/, standins/, test/, bench/ and scripts/", () => {
    // This file's own fixtures below hold unsuffixed imports on purpose.
    expect(unsuffixedImports(ALL.filter((m) => m.path !== "test/unit/architecture.test.ts"))).toEqual([]);
  });
});

describe("the rules see a violation", () => {
  const mod = (path: string, text: string): Module => ({ path, text });

  it("a harness import, static, type-only, re-exported or dynamic, in product code only", () => {
    const modules = [
      mod("src/cli/a.ts", 'import { x } from "../../standins/github/server.js";\nimport type { Y } from "../../dev/start.js";\n'),
      mod("src/b.ts", 'export { z } from "../test/support/plan-example";\nconst w = await import("../dev/drain.js");\n'),
      mod("src/c.test.ts", 'import { x } from "../test/support/plan-example.js";\n'),
      mod("src/d.ts", 'import { x } from "./dev/thing.js";\nimport { y } from "node:test";\n'),
    ];
    expect(harnessImports(modules)).toEqual([
      "src/cli/a.ts → standins/github/server.js",
      "src/cli/a.ts → dev/start.js",
      "src/b.ts → test/support/plan-example",
      "src/b.ts → dev/drain.js",
    ]);
  });

  it("an import without its .js, static, re-exported or dynamic; not a package or a .json", () => {
    const modules = [
      mod("src/a.ts", 'import { x } from "./b";\nexport { y } from "../c/d";\nconst z = await import("./e");\n'),
      mod("src/f.ts", 'import { x } from "./b.js";\nimport data from "./g.json";\nimport { h } from "node:fs";\nimport { i } from "hono";\n'),
    ];
    expect(unsuffixedImports(modules)).toEqual(["src/a.ts → ./b", "src/a.ts → ../c/d", "src/a.ts → ./e"]);
  });

  it("a module over the limit, tests exempt", () => {
    const lines = (n: number) => "x;\n".repeat(n);
    const modules = [mod("src/a.ts", lines(301)), mod("src/b.ts", lines(300)), mod("src/c.test.ts", lines(900)), mod("src/run/core.ts", lines(400))];
    expect(longModules(modules)).toEqual(["src/a.ts: 301 lines", "src/run/core.ts: 400 lines"]);
  });

  it("plan rendering imported from src/reconciler/, not from elsewhere, and not other plan modules", () => {
    const modules = [
      mod("src/reconciler/a.ts", 'import { renderMarkdown } from "../plan/render.js";\nimport { x } from "../plan/render-errors.js";\nimport { y } from "../plan/outcome.js";\n'),
      mod("src/reconciler/b.ts", 'import type { Plan } from "../plan/types.js";\n'),
      mod("src/github/reporter.ts", 'import { renderMarkdown } from "../plan/render.js";\n'),
    ];
    expect(reconcilerRendering(modules)).toEqual([
      "src/reconciler/a.ts → src/plan/render.js",
      "src/reconciler/a.ts → src/plan/render-errors.js",
      "src/reconciler/a.ts → src/plan/outcome.js",
    ]);
  });
});
