// The README's and docs/' examples are facts checked here: spec samples load, the plan samples are what the renderer prints, every script, path, route, link and error message they name exists, and the variables table is the config parser's.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_EMULATOR_PORT } from "../../src/cli/config.js";
import { assertPortsFree, portFrom } from "../../dev/listen-ports.js";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { EXAMPLE_MARKDOWN_OPTIONS, examplePlan, exampleSettingsPlan } from "../support/plan-example.js";
import { makePlan } from "../../src/plan/plan.js";
import { renderMarkdown, renderText } from "../../src/plan/render.js";
import { formatSpecError } from "../../src/desired/errors.js";
import { loadSpecs } from "../../src/desired/load.js";
import type { CredentialSpec } from "../../src/desired/types.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
/** The guide and the pages it links, read as one document: a sample is checked wherever it moved. */
const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const README = PAGES.map(read).join("\n");

interface Fence {
  /** The info string after the opening fence, e.g. `yaml`, `sh`, or "" for a plain block. */
  lang: string;
  body: string;
  /** The `## ` section it is in. */
  section: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

/** Splits the README into fenced blocks (with the `##` section each is in) and the prose outside them. */
function parseReadme(text: string): { fences: Fence[]; prose: string } {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let section = "";
  let open: { marker: string; lang: string; line: number; lines: string[] } | null = null;
  text.split("\n").forEach((line, index) => {
    if (open !== null) {
      // A fence closes with at least as many of the same character and nothing else, so ```` can hold ```.
      if (line.trim().startsWith(open.marker) && /^(`+|~+)$/.test(line.trim()) && line.trim()[0] === open.marker[0]) {
        fences.push({ lang: open.lang, body: open.lines.join("\n"), section, line: open.line });
        open = null;
      } else open.lines.push(line);
      return;
    }
    const start = /^(`{3,}|~{3,})\s*(\S*)/.exec(line);
    if (start) {
      open = { marker: start[1] ?? "```", lang: start[2] ?? "", line: index + 1, lines: [] };
      return;
    }
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1] ?? "";
    prose.push(line);
  });
  if (open !== null) throw new Error(`README.md: the fence opened at line ${(open as { line: number }).line} is never closed`);
  return { fences, prose: prose.join("\n") };
}

const { fences, prose } = parseReadme(README);
/** Inline code spans in the prose (not inside fenced blocks). */
const inlineCode = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? "");
const shellBlocks = fences.filter((f) => f.lang === "sh").map((f) => f.body);
const inSection = (name: string) => fences.filter((f) => f.section === name);

describe("README: spec format", () => {
  const samples = inSection("Spec format").filter((f) => f.lang === "yaml" && /^credentials:/m.test(f.body));
  const schema = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(read("schema/credentials.schema.json")) as object);

  it("has spec samples to check", () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  it.each(samples.map((f) => [f.line, f] as const))("the sample at line %i loads without errors and passes the JSON Schema", (_line, sample) => {
    const result = loadSpecs([{ path: "credentials/readme-sample.yaml", content: `${sample.body}\n` }], { ownerId: "acme-prod" });
    expect(result.ok ? [] : result.errors.map(formatSpecError)).toEqual([]);
    expect(schema(parse(sample.body)), JSON.stringify(schema.errors)).toBe(true);
  });

  it("shows real error messages: each appears verbatim in src/desired/load.test.ts", () => {
    const tests = read("src/desired/load.test.ts");
    const blocks = inSection("Spec format").filter((f) => f.lang === "" && /^credentials\/\S+:\d+:\d+: /m.test(f.body));
    expect(blocks).toHaveLength(1);
    const lines = (blocks[0]?.body ?? "").split("\n").filter((l) => l.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(tests.includes(`"${line}"`) || tests.includes(`'${line}'`), line).toBe(true);
  });
});

describe("README: plan output", () => {
  const blocks = inSection("Plan output");

  it("the text sample is renderText of the plan in test/support/plan-example.ts", () => {
    const text = blocks.filter((f) => f.lang === "" && f.body.includes("Plan: ") && !f.body.includes("reviewed settings"));
    expect(text).toHaveLength(1);
    expect(`${text[0]?.body}\n`).toBe(renderText(examplePlan));
  });

  it("the reviewed-settings sample is renderText of exampleSettingsPlan", () => {
    const text = blocks.filter((f) => f.lang === "" && f.body.includes("reviewed settings changed"));
    expect(text).toHaveLength(1);
    expect(`${text[0]?.body}\n`).toBe(renderText(exampleSettingsPlan));
  });

  it("the rotation and delivery sample is the start of renderText of such a plan", () => {
    const sample = blocks.filter((f) => f.lang === "" && f.body.includes("will be rotated"));
    expect(sample).toHaveLength(1);
    // The change and delivery lines, then the blank line before the summary.
    expect(renderText(rotationPlan()).slice(0, (sample[0]?.body.length ?? 0) + 2)).toBe(`${sample[0]?.body}\n\n`);
  });

  it("the pull-request sample is renderMarkdown of the same plan", () => {
    const markdown = blocks.filter((f) => f.lang === "markdown");
    expect(markdown).toHaveLength(1);
    expect(markdown[0]?.body.trimEnd()).toBe(renderMarkdown(examplePlan, EXAMPLE_MARKDOWN_OPTIONS).trimEnd());
  });
});

describe("README: commands, paths and routes it names exist", () => {
  it("every `npm <script>` / `npm run <script>` is a script in package.json", () => {
    const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
    // npm's own commands; everything else after `npm` must be a script.
    const builtins = new Set(["install", "ci", "run", "ls"]);
    const named = new Set<string>();
    for (const text of [prose, ...fences.map((f) => f.body)]) {
      for (const m of text.matchAll(/\bnpm run ([a-z][\w:-]*)((?: \/ [a-z][\w:-]*)*)/g)) {
        named.add(m[1] ?? "");
        // "npm run plan / apply / token"
        for (const more of (m[2] ?? "").split(" / ").filter(Boolean)) named.add(more);
      }
      for (const m of text.matchAll(/\bnpm ([a-z][\w:-]*)/g)) if (!builtins.has(m[1] ?? "")) named.add(m[1] ?? "");
    }
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it("every path under src/, schema/, credentials/, emulator/, test/ exists", () => {
    const paths = new Set<string>();
    for (const text of [...inlineCode, ...shellBlocks]) {
      for (const m of text.matchAll(/(?<![\w./-])(?:src|schema|credentials|emulator|test)\/[\w.*/-]*/g)) paths.add(m[0]);
    }
    expect(paths.size).toBeGreaterThan(10);
    const missing = [...paths].filter((p) => (p.includes("*") ? globMatches(p).length === 0 : !existsSync(join(ROOT, p))));
    expect(missing).toEqual([]);
  });

  it("the `ls src` listing is the real one", () => {
    const listing = fences.find((f) => f.body.startsWith("$ ls src\n"));
    expect(listing).toBeDefined();
    const shown = (listing?.body ?? "").split("\n").slice(1).join(" ").split(/\s+/).filter(Boolean);
    const real = readdirSync(join(ROOT, "src")).filter((n) => !n.startsWith(".")).sort();
    expect(shown).toEqual(real);
  });

  it("every HTTP route it documents is defined in src/index.ts or src/http/", () => {
    const defined = definedRoutes();
    const documented = new Map<string, Set<string>>();
    const note = (method: string, path: string) => {
      const key = path.replace(/\{\w+\}/g, ":param");
      if (!documented.has(key)) documented.set(key, new Set());
      if (method) documented.get(key)?.add(method);
    };
    for (const text of [...inlineCode, ...shellBlocks, ...fences.filter((f) => f.section === "How it works").map((f) => f.body)]) {
      for (const m of text.matchAll(/(?:\b(GET|POST|PUT|PATCH|DELETE) )?(?<![\w/])(\/(?:api(?!\w)|webhooks|healthz)[\w{}/.-]*)/g)) {
        const path = (m[2] ?? "").replace(/\/$/, "");
        if (path === "/api") continue; // "/api/*": the prefix, checked by the routes under it
        note(m[1] ?? "", path);
      }
      // curl -X POST "$W/api/plan"
      for (const m of text.matchAll(/-X (GET|POST|PUT|PATCH|DELETE) "\$W(\/[\w{}/.-]*)/g)) note(m[1] ?? "", m[2] ?? "");
    }
    for (const route of ["/healthz", "/webhooks/github", "/api/status", "/api/audit", "/api/plan", "/api/reconcile", "/api/runs/:param", "/api/credentials/:param/token", "/api/credentials/:param/rotate", "/api/keys/rewrap"]) {
      expect(documented.has(route), `the README no longer documents ${route}`).toBe(true);
    }
    const problems: string[] = [];
    for (const [path, methods] of documented) {
      // A concrete path in an example (/api/credentials/ci-runners/rotate) names the route with a parameter there.
      const live = defined.get(path) ?? [...defined].find(([route]) => new RegExp(`^${route.replace(/:param/g, "[^/]+")}$`).test(path))?.[1];
      if (live === undefined) problems.push(`${path} is not a route`);
      else for (const method of methods) if (!live.has(method)) problems.push(`${method} ${path}: the route answers only ${[...live].join(", ")}`);
    }
    expect(problems).toEqual([]);
  });
});

describe("README and docs: links and the variables table", () => {
  it("every relative link names a file that exists and, with #anchor, a heading in it", () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = read(page);
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target)) continue;
        const [file = "", anchor] = target.split("#");
        const path = file === "" ? page : join(dirname(page), file);
        if (!existsSync(join(ROOT, path))) broken.push(`${page}: ${target} (no file ${path})`);
        else if (anchor !== undefined && path.endsWith(".md") && !headingSlugs(read(path)).has(anchor)) broken.push(`${page}: ${target} (no heading #${anchor} in ${path})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the variables table lists exactly the vars the config parser reads", () => {
    const production = read("docs/production.md");
    const table = production.slice(production.indexOf("| var | meaning |"));
    const documented = new Set([...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] ?? ""));
    const secrets = new Set([...README.matchAll(/wrangler secret put ([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? ""));
    const parsed = new Set([...read("src/config.ts").matchAll(/\((?:get, )?"([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? "").filter((name) => !secrets.has(name)));
    expect(secrets.size).toBeGreaterThan(4);
    expect([...documented].sort()).toEqual([...parsed].sort());
  });
});

describe("README: troubleshooting quotes real messages", () => {
  const section = README.slice(README.indexOf("## Troubleshooting"));

  it("a taken port: the message npm start prints", async () => {
    const quoted = /\*\*`(port \d+ on 127\.0\.0\.1 [^`]+)`\.\*\*/.exec(section)?.[1];
    expect(quoted).toBeDefined();
    // The port's default and role as start.ts passes them; then a really taken port, its number swapped for the default.
    const setting = /portFrom\(process\.env, "WORKER_PORT", (\d+), "([^"]+)"\)/.exec(read("dev/start.ts"));
    expect(setting).not.toBeNull();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: "127.0.0.1" }, resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const error = await assertPortsFree([portFrom({ WORKER_PORT: String(taken) }, "WORKER_PORT", Number(setting?.[1]), setting?.[2] ?? "")]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.replace(String(taken), setting?.[1] ?? "")).toBe(quoted);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("no emulator: the command it suggests is the one the CLI names, on the default port", () => {
    const command = /`(npm run emulator -- --port (\d+))`/.exec(section.slice(section.indexOf("is the emulator running?")));
    expect(Number(command?.[2])).toBe(DEFAULT_EMULATOR_PORT);
    expect(read("src/cli/context.ts")).toContain("is the emulator running? (\\`npm start\\`, or \\`npm run emulator -- --port ${port}\\`)");
  });

  it.each([
    ["webhook secret not configured", "src/http/webhook.ts"],
    ["The plan could not be computed", "src/github/reporter.ts"],
    ["Plan refused: ", "src/github/reporter.ts"],
    ["PLAN_REFUSED", "src/apply"],
  ])("%j is in %s", (text, where) => {
    expect(section).toContain(text);
    const files = where.endsWith(".ts") ? [where] : readdirSync(join(ROOT, where)).filter((f) => f.endsWith(".ts")).map((f) => `${where}/${f}`);
    expect(files.some((f) => read(f).includes(text))).toBe(true);
  });
});

/** The README's rotation sample: ci-runners, 151 days old with rotate_after 90d, delivered to acme/site; acme/old-site left the spec. */
function rotationPlan() {
  const spec: CredentialSpec = {
    name: "ci-runners",
    description: "",
    metadata: null,
    acl: [],
    prevent_destroy: false,
    deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }],
    rotate_after_ms: 90 * 86_400_000,
    source: { file: "credentials/ci.yaml", line: 2, column: 5, field: "" },
  };
  return makePlan({
    ownerId: "acme-prod",
    specs: [spec],
    live: [{ id: "cr_OLD", uri: "", created_at: "2026-01-01T00:00:00Z", token: null, acl: [], owner_id: "usr_1", metadata: encodeMetadata(null, { owner: "acme-prod", name: "ci-runners" }) }],
    stored: new Map([["ci-runners", "cr_OLD"]]),
    intents: [],
    specFiles: 1,
    maxDeletes: 10,
    now: Date.parse("2026-06-01T00:00:00Z"),
    delivered: [{ key: "acme/old-site:NGROK_AUTHTOKEN", name: "ci-runners", id: "cr_OLD" }],
  });
}

/** GitHub's anchors for a page's headings: lowercased, punctuation dropped, spaces as hyphens. */
function headingSlugs(text: string): Set<string> {
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] ?? "").trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-")));
}

/** Files matching a README glob like `test/worker/*.test.ts` (`*` within a segment, `**` across). */
function globMatches(pattern: string): string[] {
  const base = pattern.slice(0, pattern.indexOf("*")).replace(/[^/]*$/, "");
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*\*\/?|\*/g, (s) => (s === "*" ? "[^/]*" : "(?:.*/)?"))}$`);
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (regex.test(relative(ROOT, full).split("\\").join("/"))) out.push(full);
    }
  };
  walk(join(ROOT, base));
  return out;
}

/**
 * The Worker's routes read from the source: `x.get("/path", …)` on each hono app, and `app.route("/prefix", child)`
 * mounts. Route params are normalised to `:param`. Reading the text keeps the Worker's modules (which need workerd)
 * out of this Node test.
 */
function definedRoutes(): Map<string, Set<string>> {
  const files = ["src/index.ts", ...readdirSync(join(ROOT, "src/http")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => `src/http/${f}`)];
  const own = new Map<string, { method: string; path: string }[]>();
  const mounts: { parent: string; prefix: string; child: string }[] = [];
  for (const file of files) {
    const text = read(file);
    for (const m of text.matchAll(/\b(\w+)\.(get|post|put|patch|delete)\(\s*"([^"]+)"/g)) {
      const list = own.get(m[1] ?? "") ?? [];
      list.push({ method: (m[2] ?? "").toUpperCase(), path: m[3] ?? "" });
      own.set(m[1] ?? "", list);
    }
    for (const m of text.matchAll(/\b(\w+)\.route\(\s*"([^"]+)",\s*(\w+)\s*\)/g)) mounts.push({ parent: m[1] ?? "", prefix: m[2] ?? "", child: m[3] ?? "" });
  }
  const join2 = (a: string, b: string) => (b === "/" ? a : `${a.replace(/\/$/, "")}${b}`) || "/";
  const out = new Map<string, Set<string>>();
  const visit = (router: string, prefix: string, depth: number) => {
    if (depth > 5) throw new Error(`route mounts nest too deep at ${router}`);
    for (const r of own.get(router) ?? []) {
      const path = join2(prefix, r.path).replace(/:\w+/g, ":param");
      if (!out.has(path)) out.set(path, new Set());
      out.get(path)?.add(r.method);
    }
    for (const m of mounts.filter((x) => x.parent === router)) visit(m.child, join2(prefix, m.prefix), depth + 1);
  };
  visit("app", "", 0);
  return out;
}
