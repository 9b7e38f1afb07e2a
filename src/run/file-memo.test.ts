// The parse cache's rows are read back a file per piece, charged by their bytes: the start stage's check and the plan's index no longer read every row in one invocation.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { loadSpecs, type FileCache, type FileResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { summarize } from "../plan/types.js";
import { encodeMetadata } from "../ownership/marker.js";
import { fileResultSchema, readJson } from "../reconciler/persisted.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { cachedReadUnits } from "./cpu-units.js";
import { MAX_IDLE } from "./errors.js";
import { forgetRunMemory } from "./file-memo.js";
import { runLocal } from "./local.js";

const OWNER = "acme-prod";
/** Free's units (10 ms less the headroom). */
const UNITS = 8_000;
const PER_FILE = 100;
const name = (i: number) => `svc-${String(i).padStart(5, "0")}`;

/** Files of about 270 bytes a spec, as the bench's fleet. */
function tree(specs: number): SpecSource[] {
  return Array.from({ length: specs / PER_FILE }, (_, f) => ({
    path: `credentials/team-${String(f).padStart(3, "0")}.yaml`,
    sha: `sha-${f}`,
    content: `credentials:\n${Array.from({ length: PER_FILE }, (_, i) => {
      const n = name(f * PER_FILE + i);
      return `  - name: ${n}\n    description: ${n} of team ${f}, the edge agent\n    acl:\n      - bind:${n}.example.com\n    metadata:\n      team: team-${f}\n      env: production\n`;
    }).join("")}`,
  }));
}

/**
 * The parse cache as the Durable Object keeps it (caches.ts spec_cache): a row of JSON per file read back through its
 * schema, with the row's bytes. It counts the row bytes each invocation parses (`started` begins an invocation).
 */
function rowCache(): FileCache & { started(): void; most: number; bytes(key: string): number | undefined } {
  const rows = new Map<string, string>();
  let read = 0;
  const cache = {
    most: 0,
    started: () => void (read = 0),
    get: (key: string) => {
      const json = rows.get(key);
      if (json === undefined) return undefined;
      read += json.length;
      cache.most = Math.max(cache.most, read);
      return readJson<FileResult>(fileResultSchema, json, { table: "spec_cache", key });
    },
    has: (key: string) => rows.has(key),
    bytes: (key: string) => rows.get(key)?.length,
    set: (key: string, result: FileResult) => void rows.set(key, JSON.stringify(result)),
  };
  return cache;
}

/** The plan's changes of the same tree in one go, with no budget (the CLI's run). */
async function inOneGo(sources: readonly SpecSource[]): Promise<ReturnType<typeof summarize>> {
  const result = await runLocal(sources, { ownerId: OWNER, maxDeletes: 5, mode: "plan", cache: rowCache() }, await world(sources.length * PER_FILE));
  if (result.kind !== "planned") throw new Error(`in one go: ${result.kind}`);
  return summarize(result.plan);
}

async function world(specs: number) {
  const emulator = createEmulator({ rateLimit: "off" });
  const apiKey = `memo_${Math.random().toString(36).slice(2)}`;
  emulator.account(apiKey).seed(Array.from({ length: specs }, (_, i) => ({ description: name(i), metadata: encodeMetadata(null, { owner: OWNER, name: name(i) }) })));
  const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, rateLimit: "off", fetch: async (r) => emulator.fetch(r), sleep: async () => {}, timeoutMs: 100 });
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
  return { ngrok, vault, intents: new MemoryIntentLog() };
}

describe("the parse cache read back under Free's units", () => {
  it("no invocation parses more cached rows than its units pay for, and the plan is the one of a run in one go", async () => {
    const sources = tree(4_000);
    const cache = rowCache();
    // Warm: every file parsed before (a push that changed nothing), so the check and the index only read rows back.
    loadSpecs(sources, { ownerId: OWNER, cache });
    const rowBytes = sources.reduce((sum, s) => sum + (cache.bytes(`${OWNER}\0${s.path}\0${s.sha}`) ?? 0), 0);
    // Read in one piece, the rows alone would be more than an invocation's units.
    expect(cachedReadUnits(rowBytes)).toBeGreaterThan(UNITS);
    const options = { ownerId: OWNER, maxDeletes: 5, mode: "plan" as const };
    const result = await runLocal(sources, { ...options, cache, callsPerInvocation: 50, unitsPerInvocation: UNITS, onInvocation: cache.started }, await world(4_000));
    expect(result.kind).toBe("planned");
    // The bounded report holds the first changes and counts the rest: the summary says them all.
    expect(result.kind === "planned" && summarize(result.plan)).toEqual(await inOneGo(sources));
    expect(result.output.progress?.max_work_units).toBeLessThanOrEqual(UNITS);
    expect(cachedReadUnits(cache.most)).toBeLessThanOrEqual(UNITS);
  }, 60_000);

  it("a process that lost its memory reads the files again, each read progress: evicted every invocation for longer than the stall rule, the run converges", async () => {
    const sources = tree(4_000);
    const cache = rowCache();
    loadSpecs(sources, { ownerId: OWNER, cache });
    let invocation = 0;
    const onInvocation = () => {
      cache.started();
      // A fresh Durable Object isolate for the first MAX_IDLE + 3 alarms: each reads what it can and loses it.
      if (++invocation <= MAX_IDLE + 3) forgetRunMemory();
    };
    const result = await runLocal(sources, { ownerId: OWNER, maxDeletes: 5, mode: "plan", cache, callsPerInvocation: 50, unitsPerInvocation: UNITS, onInvocation }, await world(4_000));
    expect(result.kind).toBe("planned");
    // The bounded report holds the first changes and counts the rest: the summary says them all.
    expect(result.kind === "planned" && summarize(result.plan)).toEqual(await inOneGo(sources));
    expect(result.output.progress?.max_work_units).toBeLessThanOrEqual(UNITS);
    expect(cachedReadUnits(cache.most)).toBeLessThanOrEqual(UNITS);
  }, 60_000);
});
