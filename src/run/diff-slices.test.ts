// The plan stage's index is two pieces of work: at 10,000 specs one piece would be more than an invocation's units.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import type { FileResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { encodeMetadata } from "../ownership/marker.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { FINISH_UNITS_PER_SPEC, INDEX_CONTEXT_UNITS_PER_SPEC, INDEX_READ_UNITS_PER_SPEC } from "./cpu-units.js";
import { runLocal } from "./local.js";

const OWNER = "acme-prod";
const SPECS = 1_000;
/** Files small enough for the per-file parse limit of these small invocations (maxParseBytes). */
const PER_FILE = 50;
const name = (i: number) => `svc-${String(i).padStart(4, "0")}`;

describe("the plan's index", () => {
  it("is read, then made into the slice context, in pieces that each fit an invocation's units", async () => {
    // Every piece of this run fits this (the plan's own is the largest) but the index in one piece would not.
    const units = Math.ceil(SPECS * Math.max(INDEX_READ_UNITS_PER_SPEC, INDEX_CONTEXT_UNITS_PER_SPEC, FINISH_UNITS_PER_SPEC));
    expect(SPECS * (INDEX_READ_UNITS_PER_SPEC + INDEX_CONTEXT_UNITS_PER_SPEC)).toBeGreaterThan(units);
    const emulator = createEmulator();
    const apiKey = `index_${Math.random().toString(36).slice(2)}`;
    emulator.account(apiKey).seed(Array.from({ length: SPECS }, (_, i) => ({ description: name(i), metadata: encodeMetadata(null, { owner: OWNER, name: name(i) }) })));
    const sources: SpecSource[] = Array.from({ length: SPECS / PER_FILE }, (_, f) => ({
      path: `credentials/team-${f}.yaml`,
      content: `credentials:\n${Array.from({ length: PER_FILE }, (_, i) => `  - name: ${name(f * PER_FILE + i)}\n    description: ${name(f * PER_FILE + i)}\n`).join("")}`,
    }));
    const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch: async (r) => emulator.fetch(r), sleep: async () => {}, timeoutMs: 100 });
    const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
    const result = await runLocal(sources, { ownerId: OWNER, maxDeletes: 5, mode: "plan", cache: new Map<string, FileResult>(), callsPerInvocation: 50, unitsPerInvocation: units }, { ngrok, vault, intents: new MemoryIntentLog() });
    expect(result.kind === "planned" && result.plan.changes).toEqual([]);
    expect(result.output.progress?.max_work_units).toBeLessThanOrEqual(units);
  });
});
