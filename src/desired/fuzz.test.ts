// Fuzzing the spec loader: generated and mutated spec trees never make it throw or hang, and an invalid tree applies nothing.
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { DESCRIPTION_MAX_BYTES } from "../ngrok/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { encodeMetadata, utf8Bytes } from "../ownership/marker.js";
import { runLocal } from "../run/local.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { ACL_RULE_PATTERN } from "./acl.js";
import type { SpecErrorCode } from "./errors.js";
import { loadSpecs, type LoadResult } from "./load.js";
import { NAME_PATTERN } from "./schema.js";
import type { SpecSource } from "./types.js";

const OWNER = "fuzz-owner";
const SEED = Number(process.env.FUZZ_SEED ?? 20260601);
/**
 * Generous per-test timeout for a loaded 2-core runner: a hang still fails, a busy machine does not.
 * How fast the loader is on hostile input is measured by `npm run bench` (hostile_input rows), not here.
 */
const TIMEOUT_MS = 300_000;
const CODES: ReadonlySet<SpecErrorCode> = new Set<SpecErrorCode>([
  "YAML_SYNTAX", "YAML_LIMIT", "FILE_TOO_LARGE", "NOT_A_MAPPING", "UNKNOWN_KEY", "MISSING_FIELD", "WRONG_TYPE",
  "INVALID_VALUE", "TOO_LONG", "DUPLICATE_NAME", "DUPLICATE_IMPORT", "RESERVED_KEY", "TOO_MANY_FILES",
]);

// yaml warns through process.emitWarning about odd keys (e.g. a collection as a key); thousands of those are noise here.
const emitWarning = process.emitWarning;
beforeAll(() => {
  process.emitWarning = () => {};
});
let cases = 0;

/** Loads a tree and checks the contract: no throw, a well-formed result. */
function check(tree: readonly SpecSource[], what = "generated"): LoadResult {
  const result = loadSpecs(tree, { ownerId: OWNER });
  cases++;
  // Plain checks collected into one assertion: thousands of expect() calls per second would dominate the run.
  const paths = new Set(tree.map((f) => f.path));
  const problems: string[] = [];
  const bad = (why: string, value: unknown) => problems.push(`${why}: ${JSON.stringify(value).slice(0, 300)}`);
  if (result.ok) {
    // "Valid" must mean valid: every rule the loader promises holds for what it returns.
    const names = result.specs.map((s) => s.name);
    if (new Set(names).size !== names.length) bad("duplicate names accepted", names);
    for (const spec of result.specs) {
      if (!NAME_PATTERN.test(spec.name)) bad("bad name accepted", spec.name);
      if (utf8Bytes(spec.description) > DESCRIPTION_MAX_BYTES) bad("long description accepted", spec.description.length);
      for (const rule of spec.acl) if (!ACL_RULE_PATTERN.test(rule)) bad("bad ACL rule accepted", rule);
      if (!paths.has(spec.source.file) || spec.source.line < 1) bad("bad source", spec.source);
    }
  } else {
    if (result.errors.length === 0) bad("not ok, but no errors", result);
    for (const error of result.errors) {
      if (!paths.has(error.file) && error.file !== "credentials/") bad("unknown file", error);
      if (!Number.isInteger(error.line) || error.line < 1) bad("line < 1", error);
      if (!Number.isInteger(error.column) || error.column < 1) bad("column < 1", error);
      if (!CODES.has(error.code)) bad("unknown code", error);
      if (typeof error.message !== "string" || error.message.length === 0) bad("no message", error);
      if (typeof error.field !== "string") bad("no field", error);
    }
  }
  if (problems.length > 0) expect(problems, `${what}: ${JSON.stringify(tree).slice(0, 500)}`).toEqual([]);
  return result;
}

// ---- generators ----

const name = fc.stringMatching(/^[a-z0-9][a-z0-9\-_.]{0,20}$/);
const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom("", " ", "\u0000", "\uFEFF", "\uD800", "é".repeat(128), "𝔘".repeat(64), "a".repeat(256), "\u202Eevil", "`{{}}`", "</details>", "```", "${x}", "__proto__", "constructor"),
);
const aclRule = fc.oneof(
  fc.constantFrom("*", "bind:ci.example.com", "bind:*.ci.example.com", "bind:1.tcp.ngrok.io:20002", "bind:env=ci", "bind:*=*", "bind:env=*"),
  fc.constantFrom(
    "bind:", "bind:*", "bind:**.x.com", "bind:a*b.com", "bind:X.COM", " bind:x.com", "bind:x.com ", "connect:x.com", "bind:x.com:0",
    "bind:x.com:65536", "bind:x.com:-1", "bind:x..com", "bind:-x.com", "bind:=", "bind:a=", "bind:=b", "bind:é.com", "bind:x.com\n",
    `bind:${"a".repeat(64)}.com`, `bind:${Array.from({ length: 60 }, () => "abcd").join(".")}`, `bind:${"a.".repeat(2000)}com`, "bind:x.com:20002:1",
    "bind:[::1]:80", "bind:1.2.3.4", "bind:env=ci=prod", "BIND:x.com", "*.*", "bind:*.*.x.com",
  ),
  fc.string({ maxLength: 300 }).map((s) => `bind:${s}`),
  hostileString,
);
const jsonish = fc.jsonValue({ maxDepth: 3 });
const validCredential = fc.record(
  {
    name,
    description: fc.string({ maxLength: 60 }),
    metadata: fc.oneof(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer())), fc.string({ maxLength: 40 })),
    acl: fc.array(fc.constantFrom("*", "bind:ci.example.com", "bind:*.ci.example.com", "bind:1.tcp.ngrok.io:20002", "bind:env=ci"), { maxLength: 4 }),
    owner_id: fc.constantFrom("usr_1abc", "bot_2def"),
    prevent_destroy: fc.boolean(),
    import: fc.constantFrom("cr_1abc", "cr_2def"),
    rotate_after: fc.constantFrom("90d", "12h", "1w", "30m"),
    deliver: fc.constant([{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }]),
  },
  { requiredKeys: ["name"] },
);
const validFile = fc.uniqueArray(validCredential, { selector: (c) => c.name, maxLength: 3 }).map((credentials) => stringify({ credentials }));
/** Every field, and the file's shape, with values of any type (mostly wrong ones). */
const wrongTypes = fc
  .array(
    fc.record(
      {
        name: fc.oneof(name, jsonish, hostileString),
        description: fc.oneof(jsonish, hostileString, fc.integer({ min: 200, max: 300 }).map((n) => "é".repeat(n))),
        metadata: fc.oneof(jsonish, fc.constant({ "ngrok-gitops": { owner: "x" } }), fc.integer({ min: 3000, max: 5000 }).map((n) => ({ big: "x".repeat(n) }))),
        acl: fc.oneof(fc.array(aclRule, { maxLength: 5 }), jsonish),
        owner_id: fc.oneof(jsonish, fc.constantFrom("usr_", "bot_x", "me@example.com", `usr_${"a".repeat(65)}`)),
        prevent_destroy: jsonish,
        import: fc.oneof(jsonish, fc.constantFrom("cr_", "cr_x", "cr_1abc")),
        deliver: fc.oneof(jsonish, fc.constant([{ github_actions_secret: { repo: "nope", name: "GITHUB_TOKEN", environment: " x" } }])),
        rotate_after: fc.oneof(jsonish, fc.constantFrom("90", "d", "1y", "0d", "-1d", "1.5h", "99999999999999999999w")),
        descripton: jsonish,
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  )
  .chain((credentials) => fc.oneof(fc.constant({ credentials } as unknown), jsonish, fc.constant({ credentials, extra: 1 } as unknown), fc.constant({ credentials: { a: credentials } } as unknown)))
  .map((doc) => stringify(doc));
/** YAML-looking token soup: structure characters, indicators, anchors, tags, multi-byte text. */
const yamlSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "credentials:", "\n", "  ", "    ", "- ", "name: ", "description: ", "metadata: ", "acl: ", ": ", ":", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b",
        "!!str ", "!!binary ", "!!set ", "!!omap ", "!foo ", "<<: ", "---\n", "...\n", "# c", '"', "'", "|", ">-", "? ", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n",
        "\t", "\r", "\r\n", "\u0000", "\uFEFF", "é", "𝔘", "\\", "\\u00e9", "null", "~", "true", "0x1F", "1e999", ".nan", "-.inf", "2001-12-14", "web", "bind:*.x.com",
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));

type Mutation = { kind: "flip"; at: number; bit: number } | { kind: "truncate"; at: number } | { kind: "dupKey"; line: number } | { kind: "insert"; at: number; text: string } | { kind: "delete"; at: number; length: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("dupKey" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(yamlSoup, fc.constantFrom("\n  - name: x", "\n    name: dup", "&x ", "*x", "[", "{", "\n---\n")) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
);

function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case "flip": {
      // A flipped bit in the UTF-8 bytes, decoded the way a blob would be (invalid sequences become U+FFFD).
      const bytes = new TextEncoder().encode(text);
      if (bytes.length === 0) return text;
      const i = m.at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ (1 << m.bit);
      return new TextDecoder().decode(bytes);
    }
    case "truncate":
      return text.slice(0, m.at % (text.length + 1));
    case "dupKey": {
      // Repeat a `key: value` line right after itself: a duplicate key in the same mapping.
      const lines = text.split("\n");
      const keyed = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*(- )?[a-z_]+:/.test(l));
      const pick = keyed[m.line % Math.max(1, keyed.length)];
      if (!pick) return text;
      const [line, i] = pick;
      lines.splice(i + 1, 0, line.replace(/^(\s*)- /, "$1  "));
      return lines.join("\n");
    }
    case "insert": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case "delete": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
  }
}

const mutatedFile = fc.tuple(validFile, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([text, ms]) => ms.reduce(mutate, text));
const deepNesting = fc
  .tuple(fc.constantFrom("[", "{a: ", "- ", "? ", "{", "a:\n", "[&x "), fc.integer({ min: 1, max: 3000 }), fc.boolean())
  .map(([open, depth, close]) => {
    const closing = open.startsWith("[") ? "]" : open.startsWith("{") ? "}" : "";
    const body = open === "a:\n" ? Array.from({ length: Math.min(depth, 300) }, (_, i) => `${" ".repeat(i)}a:`).join("\n") : open.repeat(depth) + (close ? closing.repeat(depth) : "");
    return `credentials:\n  - name: deep\n    metadata:\n      k: ${body}\n`;
  });
/** Billion laughs with random fan-out and levels, placed where the loader will expand it. */
const aliasBomb = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom("top", "metadata", "acl")).map(([fanout, levels, where]) => {
  const lines = [`l0: &l0 [${Array.from({ length: fanout }, () => "lol").join(", ")}]`];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: fanout }, () => `*l${i - 1}`).join(", ")}]`);
  const top = `x-bomb:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
  if (where === "top") return `${top}credentials: [*l${levels}]\n`;
  if (where === "acl") return `${top}credentials:\n  - name: bomb\n    acl: *l${levels}\n`;
  return `${top}credentials:\n  - name: bomb\n    metadata: {k: *l${levels}}\n`;
});
const anyFile = fc.oneof(
  { arbitrary: mutatedFile, weight: 4 },
  { arbitrary: wrongTypes, weight: 3 },
  { arbitrary: yamlSoup, weight: 2 },
  { arbitrary: validFile, weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: aliasBomb, weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
);
const path = fc.oneof(
  fc.constantFrom("credentials/a.yaml", "credentials/b.yml", "credentials/team/c.yaml", "credentials/é/ü.yaml", "credentials/x y.yaml"),
  fc.stringMatching(/^[a-z]{1,6}$/).map((s) => `credentials/${s}.yaml`),
);
/** 1 to 3 files with distinct paths; the same names often recur across files (duplicates). */
const tree = fc.uniqueArray(fc.tuple(path, anyFile), { minLength: 1, maxLength: 3, selector: ([p]) => p }).map((files) => files.map(([p, content]) => ({ path: p, content })));
/** Valid files whose names collide across files, or whose imports do. */
const duplicateTree = fc.tuple(fc.array(name, { minLength: 1, maxLength: 3 }), fc.integer({ min: 2, max: 4 }), fc.boolean()).map(([names, files, imports]) =>
  Array.from({ length: files }, (_, i) => ({
    path: `credentials/f${i}.yaml`,
    content: stringify({ credentials: names.map((n, j) => (imports ? { name: `${n}-${i}-${j}`, import: "cr_same" } : { name: n })) }),
  })),
);

const run = <T extends [unknown]>(property: fc.IProperty<T>, numRuns: number) => fc.assert(property, { numRuns, seed: SEED, endOnFailure: true });

describe("loadSpecs under fuzzing", { timeout: TIMEOUT_MS }, () => {
  it("random trees: mutated valid files, wrong types, YAML soup, deep nesting, alias bombs, binary (4,000 trees)", () => {
    run(fc.property(tree, (files) => void check(files)), 4000);
  });

  it("mutations of valid files: byte flips, truncation, duplicated keys, inserted and deleted text (3,000 files)", () => {
    let invalid = 0;
    run(
      fc.property(mutatedFile, (content) => {
        if (!check([{ path: "credentials/a.yaml", content }], "mutated").ok) invalid++;
      }),
      3000,
    );
    // The mutations really break things (the generator is not just producing valid files).
    expect(invalid).toBeGreaterThan(1000);
  });

  it("hostile ACL rules and huge or multi-byte strings: only rules ngrok accepts pass (1,000 files)", () => {
    run(
      fc.property(
        fc.tuple(fc.array(aclRule, { minLength: 1, maxLength: 8 }), hostileString, fc.integer({ min: 0, max: 400 })).map(([acl, text, n]) =>
          stringify({ credentials: [{ name: "acl-fuzz", acl, description: "é".repeat(n % 200), metadata: { note: text } }] }),
        ),
        (content) => void check([{ path: "credentials/a.yaml", content }], "acl"),
      ),
      1000,
    );
  });

  it("duplicate names and imports across files are always refused (500 trees)", () => {
    run(
      fc.property(duplicateTree, (files) => {
        const result = check(files, "duplicates");
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.some((e) => e.code === "DUPLICATE_NAME" || e.code === "DUPLICATE_IMPORT")).toBe(true);
      }),
      500,
    );
  });

  it("deep nesting and alias expansion are refused, never expanded (1,500 files)", () => {
    run(
      fc.property(fc.oneof(deepNesting, aliasBomb), (content) => {
        const result = check([{ path: "credentials/a.yaml", content }], "nesting/aliases");
        // Anything over 32 levels or 100 alias expansions is an error; a small one may pass.
        if (result.ok) expect(JSON.stringify(result.specs).length).toBeLessThan(100_000);
      }),
      1500,
    );
  });

  // Fixed worst cases at the size limit (1 MiB), each of which once took seconds and hundreds of MB, or threw.
  const MiB = 1024 * 1024 - 64;
  const worst: Record<string, string> = {
    "1 MiB of [": `credentials: ${"[".repeat(MiB)}`,
    "1 MiB of {": `credentials: ${"{".repeat(MiB)}`,
    "1 MiB of '- '": `credentials:\n${"- ".repeat(MiB / 2)}`,
    "1 MiB of '? '": "? ".repeat(MiB / 2),
    "1 MiB of documents": "---\n".repeat(MiB / 4),
    "a billion laughs": ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]", ...Array.from({ length: 9 }, (_, i) => `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array.from({ length: 10 }, () => `*${"abcdefghij"[i]}`).join(", ")}]`), "credentials: [*j]"].join("\n"),
    "just over 1 MiB": `credentials: []\n#${"x".repeat(1024 * 1024)}`,
  };
  for (const [what, content] of Object.entries(worst)) {
    it(`worst case: ${what}`, () => {
      const result = check([{ path: "credentials/a.yaml", content }], what);
      expect(result.ok).toBe(false);
    });
  }

  it("150,000 anchors in one file are refused before the parser builds them", () => {
    // Each "&a " was a node with a second anchor: one error each, seconds and hundreds of MB in the parser.
    const result = loadSpecs([{ path: "credentials/a.yaml", content: "&a ".repeat(150_000) }], { ownerId: OWNER });
    cases++;
    expect(result.ok === false && result.errors.map((e) => `${e.code} ${e.message}`)).toEqual(["YAML_LIMIT more than 1000 anchors, tags and aliases in one file"]);
  });

  it("60,000 unknown keys: the first 100 listed, the rest counted, in linear time", () => {
    // Placing every error walked the document each time, and yaml's own duplicate-key check compared every pair.
    // 60,000 unknown keys plus the missing `credentials`: 60,001 errors.
    const content = Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`).join("\n");
    const result = loadSpecs([{ path: "credentials/a.yaml", content }], { ownerId: OWNER });
    cases++;
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(101);
      expect(result.errors[100]).toMatchObject({ code: "TOO_MANY_ERRORS", message: "59901 more errors in this file are not listed" });
    }
  });

  it("1001 files: refused as too many, at once", () => {
    const files = Array.from({ length: 1001 }, (_, i) => ({ path: `credentials/f${String(i).padStart(4, "0")}.yaml`, content: "credentials: []\n" }));
    const result = check(files, "1001 files");
    expect(result.ok === false && result.errors.map((e) => e.code)).toEqual(["TOO_MANY_FILES"]);
  });
});

describe("an invalid tree applies nothing", { timeout: TIMEOUT_MS }, () => {
  it("runLocal() makes zero ngrok calls, stores no token and opens no intent for 300 invalid trees", async () => {
    // ngrok's documented limit: every tree gets a fresh account and none may make a call at all.
    const emulator = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(tree, async (files) => {
        if (loadSpecs(files, { ownerId: OWNER }).ok) return;
        checked++;
        const apiKey = `fuzz_${checked}`;
        const account = emulator.account(apiKey);
        // Something to delete and something to update, were anything applied.
        account.seed([{ metadata: encodeMetadata(null, { owner: OWNER, name: "managed" }), description: "old" }, { description: "by hand" }]);
        const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch: (r) => emulator.fetch(r), sleep: async () => {}, timeoutMs: 1000 });
        const store = new MemoryTokenStore();
        let puts = 0;
        const put = store.put.bind(store);
        store.put = async (entry) => {
          puts++;
          return put(entry);
        };
        const vault = new TokenVault(store, await importKeyring(generateKeyringEntry("k1")));
        const intents = new MemoryIntentLog();
        const result = await runLocal(files, { ownerId: OWNER, maxDeletes: 100, allowDeletes: true, mode: "apply" }, { ngrok, vault, intents });
        expect(result.kind).toBe("invalid");
        expect(account.calls()).toEqual([]);
        expect(puts).toBe(0);
        expect(await intents.list()).toEqual([]);
      }),
      { numRuns: 400, seed: SEED, endOnFailure: true },
    );
    cases += checked;
    expect(checked).toBeGreaterThanOrEqual(300);
  });
});

afterAll(() => {
  process.emitWarning = emitWarning;
  expect(cases).toBeGreaterThanOrEqual(10_000);
});
