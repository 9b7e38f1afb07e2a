// Architecture: no module of src/ imports itself back, through any chain of static imports (type-only ones included).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

/** Every .ts module under `dir` (tests included: a test that closes a cycle is as confusing to read). */
function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** `import … from "x"`, `import type … from "x"`, `import "x"`, `export … from "x"` (comments stripped first). */
const STATIC_IMPORT = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g;

/** The relative imports of `source`, resolved to files under src/ (package imports are not ours to cycle through). */
export function importsOf(file: string, source: string, known: ReadonlySet<string>): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const match of code.matchAll(STATIC_IMPORT)) {
    const spec = match[1] as string;
    if (!spec.startsWith(".")) continue;
    const base = resolve(dirname(file), spec);
    const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, join(base, "index.ts")];
    const hit = candidates.find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** The import cycles of a module graph, each as the chain of files from one module back to itself. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe("architecture", () => {
  it("finds a cycle made of type-only imports (the check itself can fail)", () => {
    const known = new Set(["/a.ts", "/b.ts", "/c.ts"]);
    const graph = new Map([
      ["/a.ts", importsOf("/a.ts", `import { b } from "./b.js";`, known)],
      ["/b.ts", importsOf("/b.ts", `import type { C } from "./c.js";\n// import { a } from "./a.js";`, known)],
      ["/c.ts", importsOf("/c.ts", `export { a } from "./a.js";`, known)],
    ]);
    expect(cyclesOf(graph)).toEqual([["/a.ts", "/b.ts", "/c.ts", "/a.ts"]]);
  });

  it("src/ has no import cycle, type-only imports included", () => {
    const files = modules(SRC);
    const known = new Set(files);
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, "utf8"), known)] as const));
    const cycles = cyclesOf(graph).map((cycle) => cycle.map((file) => relative(SRC, file)).join(" → "));
    expect(cycles).toEqual([]);
  });
});
