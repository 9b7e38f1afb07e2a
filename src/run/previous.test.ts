// The previous specs a plan compares reviewed settings with are parsed within the invocation's work units, before the plan's own piece.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import type { FileResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { encodeMetadata } from "../ownership/marker.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { parseUnits } from "./cpu-units.js";
import { runLocal, type RunDeps, type RunOptions } from "./local.js";

const OWNER = "acme-prod";
/** More than MAX_IDLE: each previous file parsed must count as progress. */
const FILES = 8;
const PER_FILE = 20;

/** A file of PER_FILE specs; `protect` flips a reviewed setting (prevent_destroy), which the plan reports against the previous specs. */
function file(f: number, protect: boolean): SpecSource {
  return { path: `credentials/team-${f}.yaml`, content: `credentials:\n${namesOf(f).map((name) => `  - name: ${name}\n    description: the ${name} agent\n    prevent_destroy: ${protect}\n`).join("")}` };
}
const namesOf = (f: number) => Array.from({ length: PER_FILE }, (_, i) => `svc-${f}-${i}`);

const current = Array.from({ length: FILES }, (_, f) => file(f, false));
const previous = Array.from({ length: FILES }, (_, f) => file(f, true));

async function deps(): Promise<RunDeps> {
  const emulator = createEmulator();
  const apiKey = `prev_${Math.random().toString(36).slice(2)}`;
  // Every spec already live as it says: the plan has no change, only the reviewed setting that changed.
  emulator.account(apiKey).seed(Array.from({ length: FILES }, (_, f) => namesOf(f)).flat().map((name) => ({ description: `the ${name} agent`, metadata: encodeMetadata(null, { owner: OWNER, name }) })));
  const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch: async (r) => emulator.fetch(r), sleep: async () => {}, timeoutMs: 100 });
  return { ngrok, vault: new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1"))), intents: new MemoryIntentLog() };
}

/** A plan run of `current` compared with `before`, on the Durable Object's path: a parse cache, 50 calls and `units` per invocation. */
async function plan(before: SpecSource[], units?: number) {
  const options: RunOptions = { ownerId: OWNER, maxDeletes: 5, mode: "plan", previous: { label: "the last apply", sources: before }, cache: new Map<string, FileResult>(), ...(units ? { callsPerInvocation: 50, unitsPerInvocation: units } : {}) };
  return runLocal(current, options, await deps());
}

describe("previous specs", () => {
  it("are parsed as pieces of work: their units counted, a file per piece counted as progress, and the plan the same as in one go", async () => {
    const fileUnits = parseUnits(previous[0]!.content.length);
    // Room for one previous file an invocation, not two: the comparison spans invocations.
    const units = Math.ceil(fileUnits * 1.5);
    const same = await plan(current, units);
    const changed = await plan(previous, units);
    const oneGo = await plan(previous);
    expect(changed.kind).toBe("planned");
    if (changed.kind !== "planned" || oneGo.kind !== "planned") return;
    expect(changed.plan.settings?.length).toBe(FILES * PER_FILE);
    // (Each run has an account of its own: the credentials' ids differ, what was compared does not.)
    expect({ settings: changed.plan.settings, since: changed.plan.settingsSince, changes: changed.plan.changes }).toEqual({ settings: oneGo.plan.settings, since: oneGo.plan.settingsSince, changes: oneGo.plan.changes });
    const progress = changed.output.progress!;
    const unchanged = same.output.progress!;
    // Every other piece is the same in both runs: the difference is the previous files' parsing, charged.
    expect(progress.work_units - unchanged.work_units).toBe(previous.reduce((sum, source) => sum + parseUnits(source.content.length), 0));
    expect(progress.invocations).toBeGreaterThanOrEqual(unchanged.invocations + FILES - 1);
  });
});
