// The report under a CPU budget: tallied before it in fixed pieces, it reads a bounded head, and the fingerprint is the saved plan's whatever the invocations.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { NgrokClient } from "../ngrok/client.js";
import { renderMarkdown } from "../plan/render.js";
import { summarize } from "../plan/types.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { REPORT_HEAD, reportPieceUnits, unitsForCpuMs } from "./cpu-units.js";
import { runLocal, type RunDeps } from "./local.js";
import { FINGERPRINT_PREFIX, TALLY_PIECE } from "./report-tally.js";

const OWNER = "acme-prod";
/** Creates of a first apply: a whole report of them is more than one invocation's units. */
const C = 2_100;
const FREE = { callsPerInvocation: 50, unitsPerInvocation: unitsForCpuMs(10) };

/** `count` entries in files of 100 (a file must fit one invocation's parse); `edited`: the entry given another name. */
function specs(count: number, edited = -1) {
  const files = [];
  for (let f = 0; f * 100 < count; f++) {
    const lines = ["credentials:"];
    for (let i = f * 100; i < Math.min(count, (f + 1) * 100); i++) lines.push(`  - name: agent-${String(i).padStart(4, "0")}${i === edited ? "-renamed" : ""}`, `    description: agent ${i}`);
    files.push({ path: `credentials/agents-${String(f).padStart(2, "0")}.yaml`, content: `${lines.join("\n")}\n` });
  }
  return files;
}

async function world() {
  const emulator = createEmulator({ rateLimit: "off" });
  emulator.account("key_tally");
  const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey: "key_tally", fetch: async (r) => emulator.fetch(r), sleep: async () => {}, timeoutMs: 1000 });
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
  const fingerprints: (string | undefined)[] = [];
  const deps: RunDeps = { ngrok, vault, intents: new MemoryIntentLog(), reporter: { finish: async (state) => void fingerprints.push(state.tally?.fingerprint) } };
  return { deps, fingerprints };
}

describe("the report's tally", () => {
  it("a first apply past 2,000 changes reports in pieces: no invocation over its units, a bounded head with every change counted", async () => {
    const w = await world();
    // Planned whole (no CPU budget: the CLI), then under the Free budgets, then applied under them.
    const whole = await runLocal(specs(C), { ownerId: OWNER, maxDeletes: 5, mode: "plan" }, w.deps);
    const planned = await runLocal(specs(C), { ownerId: OWNER, maxDeletes: 5, mode: "plan", ...FREE }, w.deps);
    const applied = await runLocal(specs(C), { ownerId: OWNER, maxDeletes: 5, mode: "apply", ...FREE }, w.deps);
    // A whole report of this plan is one piece over the budget: the reason for the tally.
    expect(reportPieceUnits({ listed: 0, total: C })).toBeGreaterThan(FREE.unitsPerInvocation);
    expect(applied.output.progress?.max_work_units).toBeLessThanOrEqual(FREE.unitsPerInvocation);
    expect(planned.output.progress?.max_work_units).toBeLessThanOrEqual(FREE.unitsPerInvocation);
    expect(applied.output).toMatchObject({ status: "succeeded", summary: { create: C, update: 0, delete: 0 }, errors: [] });
    expect(applied.kind === "applied" && applied.report.ok).toBe(true);
    if (whole.kind !== "planned" || planned.kind !== "planned") throw new Error(`not planned: ${whole.kind}, ${planned.kind}`);
    // The head is bounded; the rest is counted, in the summary and the GitHub texts.
    expect(whole.plan.changes).toHaveLength(C);
    expect(planned.plan.changes).toHaveLength(REPORT_HEAD);
    expect(planned.plan.omitted).toEqual({ changes: C - REPORT_HEAD, create: C - REPORT_HEAD, update: 0, delete: 0 });
    expect(summarize(planned.plan)).toEqual(summarize(whole.plan));
    expect(applied.output.outcomes.length).toBeLessThanOrEqual(REPORT_HEAD);
    // The GitHub text shows what of the head fits its 60 KB and counts the rest, those left out of the head included.
    const text = renderMarkdown(planned.plan);
    const shownCount = (text.match(/ will be created$/gm) ?? []).length;
    expect(shownCount).toBeGreaterThan(REPORT_HEAD / 2);
    expect(shownCount + Number(/…and (\d+) more changes not shown/.exec(text)?.[1])).toBe(C);
    // The plan's fingerprint is the same tallied whole, in pieces over many invocations, and for its apply.
    expect(C).toBeGreaterThan(TALLY_PIECE * 2);
    const [first, second, third] = w.fingerprints;
    expect(first?.startsWith(FINGERPRINT_PREFIX)).toBe(true);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(w.fingerprints).toHaveLength(3);
  });

  it("the fingerprint tells one changed line of a plan from the reviewed one", async () => {
    const w = await world();
    await runLocal(specs(600), { ownerId: OWNER, maxDeletes: 5, mode: "plan", ...FREE }, w.deps);
    await runLocal(specs(600, 555), { ownerId: OWNER, maxDeletes: 5, mode: "plan", ...FREE }, w.deps);
    await runLocal(specs(600), { ownerId: OWNER, maxDeletes: 5, mode: "plan" }, w.deps);
    const [reviewed, edited, again] = w.fingerprints;
    expect(edited).not.toBe(reviewed);
    expect(again).toBe(reviewed);
  });
});
