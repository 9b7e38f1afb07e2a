// The run core on the Worker's path: a budget per invocation, state reloaded from persisted scratch, crashes between any two persisted steps.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import type { IntentLog } from "../apply/types.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { NgrokClient } from "../ngrok/client.js";
import { decodeMetadata, encodeMetadata } from "../ownership/marker.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { SubrequestBudget } from "./budget.js";
import { renderText } from "../plan/render.js";
import { advanceRun, RunError } from "./core.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { FileResult } from "../desired/load.js";
import type { Reporter, RunPorts, RunScratch, RunSettings, TokenPort } from "./ports.js";
import type { RunResult } from "./result.js";
import { newRunState, type RunState } from "./state.js";
import type { RunOutput, RunRequest } from "./types.js";

/** The settings every run of these tests has: 8 calls kept back for reporting, as the Worker does. */
const SETTINGS: RunSettings = { config: { ownerId: "acme-prod", maxDeletes: 5 }, reserve: 8 };
const OWNER = "acme-prod";
const NAMES = Array.from({ length: 7 }, (_, i) => `svc-${i}`);
const SPECS = [{ path: "credentials/a.yaml", content: `credentials:\n${NAMES.map((n) => `  - name: ${n}\n    description: ${n}\n`).join("")}` }];

class Crash extends Error {
  constructor() {
    super("the process stopped");
  }
}

/** One deployment's durable world (ngrok account, KV, SQLite) that outlives any process driving it. */
async function world() {
  const emulator = createEmulator();
  const apiKey = `core_${Math.random().toString(36).slice(2)}`;
  const account = emulator.account(apiKey);
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
  const intents = new MemoryIntentLog();
  const scratch = new MemoryScratch();
  const mark = (name: string) => encodeMetadata(null, { owner: OWNER, name });
  // Drift to correct: one changed, one removed, one duplicate pair.
  const [changed, removed, dupA] = account.seed([{ description: "old", metadata: mark("svc-0") }, { metadata: mark("gone") }, { description: "svc-1", metadata: mark("svc-1") }, { description: "svc-1", metadata: mark("svc-1") }]);
  await vault.store("svc-0", changed!.id, changed!.token!);
  await vault.store("gone", removed!.id, removed!.token!);
  await vault.store("svc-1", dupA!.id, dupA!.token!);
  return { emulator, apiKey, account, vault, intents, scratch };
}
type World = Awaited<ReturnType<typeof world>>;

/**
 * One process driving the run: every durable write counts as a step; `crashAt: n` stops the process at the nth
 * (the write is not made) and everything after it, ngrok calls included, fails as in a killed process.
 */
function process(w: World, options: { limit: number; units?: number; crashAt?: number; writes?: { n: number }; reporter?: Reporter; asked?: string[][] }) {
  const writes = options.writes ?? { n: 0 };
  let dead = false;
  const step = () => {
    if (dead) throw new Crash();
    writes.n++;
    if (writes.n === options.crashAt) {
      dead = true;
      throw new Crash();
    }
  };
  const guard = <T extends object>(target: T, all: (keyof T)[], durable: (keyof T)[]): T => {
    const out = {} as Record<keyof T, unknown>;
    for (const m of all) {
      const fn = (target[m] as (...args: unknown[]) => unknown).bind(target);
      out[m] = durable.includes(m)
        ? (...args: unknown[]) => {
            step();
            return fn(...args);
          }
        : (...args: unknown[]) => {
            if (dead) throw new Crash();
            return fn(...args);
          };
    }
    return out as T;
  };
  const scratch = guard<RunScratch>(
    w.scratch,
    ["save", "saveSources", "loadSources", "loadSourceKeys", "clearLive", "addLive", "loadLive", "liveCount", "clearKindLive", "addKindLive", "loadKindLive", "kindLiveCount", "savePlan", "loadPlan", "loadPlanMeta", "loadPlanHead", "loadChanges", "loadDeliveries", "saveDeliveries", "appendPlanText", "planTextProgress", "loadPlanText", "saveOutcome", "loadOutcomes"],
    ["save", "saveSources", "clearLive", "addLive", "clearKindLive", "addKindLive", "savePlan", "saveDeliveries", "appendPlanText", "saveOutcome"],
  );
  const tokens: TokenPort = {
    store: async (name, id, token) => {
      step();
      await w.vault.store(name, id, token);
    },
    remove: async (name) => {
      step();
      await w.vault.remove(name);
    },
    ids: () => w.vault.ids(),
    read: (name) => w.vault.read(name),
  };
  // A token port that reads the ids of a few names (the Durable Object's), recording which were asked for.
  const { asked } = options;
  if (asked) tokens.idsOf = async (names) => (asked.push([...names]), new Map([...(await w.vault.ids())].filter(([name]) => names.includes(name))));
  const intents: IntentLog = guard<IntentLog>(w.intents, ["open", "close", "list"], ["open", "close"]);
  let ngrokCalls = 0;
  const portsFor = (): RunPorts => {
    const budget = new SubrequestBudget(options.limit, async (request) => {
      if (dead) throw new Crash();
      ngrokCalls++;
      return w.emulator.fetch(request);
    }, options.units);
    const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey: w.apiKey, fetch: budget.fetch, sleep: async () => {}, timeoutMs: 200 });
    return {
      specs: { read: async () => ({ sha: null, tree: null, sources: SPECS }) },
      ngrok,
      tokens,
      intents,
      scratch,
      budget,
      ...(options.reporter ? { reporter: options.reporter } : {}),
      takeCalls: () => {
        const taken = ngrokCalls;
        ngrokCalls = 0;
        return { ngrok: taken, github: 0 };
      },
    };
  };
  return { portsFor, writes, isDead: () => dead };
}

/** Drives a run as the Durable Object does: each invocation reloads the state from what was persisted. */
async function drive(w: World, options: { limit: number; units?: number; crashAt?: number; writes?: { n: number }; request?: RunRequest; fresh?: boolean; reporter?: Reporter; asked?: string[][] }): Promise<RunOutput> {
  const p = process(w, options);
  if (options.fresh !== false || !w.scratch.load()) {
    const request = options.request ?? { cause: "manual", mode: "apply" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "apply", request, request.mode));
  }
  for (let i = 0; i < 500; i++) {
    const state = w.scratch.load() as RunState;
    const output = await advanceRun(state, p.portsFor(), SETTINGS);
    if (output) return output;
  }
  throw new Error("the run did not finish");
}

async function expectConverged(w: World): Promise<void> {
  const tokens = w.account.tokens();
  const byName = new Map<string, string[]>();
  for (const c of w.account.credentials()) {
    const d = decodeMetadata(c.metadata);
    if (d.kind !== "managed") continue;
    byName.set(d.marker.name, [...(byName.get(d.marker.name) ?? []), c.id]);
  }
  expect([...byName.keys()].sort()).toEqual(NAMES);
  for (const [name, ids] of byName) {
    expect(ids, `live credentials of ${name}`).toHaveLength(1);
    expect(await w.vault.read(name), `token of ${name}`).toEqual({ name, id: ids[0], token: tokens[ids[0]!] });
  }
  expect(await w.intents.list()).toEqual([]);
  const again = await drive(w, { limit: 50, request: { cause: "manual", mode: "plan" } });
  expect(again.outcomes).toEqual([]);
}

describe("the run core on the Worker's path", () => {
  it("converges over several invocations of a small budget, reporting the ngrok calls it made", async () => {
    const w = await world();
    let reported: RunResult | null = null;
    const asked: string[][] = [];
    const output = await drive(w, { limit: 12, asked, reporter: { finish: async (_state, result) => void (reported = result) } });
    expect(output.status).toBe("succeeded");
    expect(output.progress?.invocations).toBeGreaterThan(2);
    expect(output.progress?.max_subrequests).toBeLessThanOrEqual(12);
    expect(output.api_calls.ngrok).toBe(w.account.calls().length);
    // The report had the settled changes from their outcomes and plan_text's lines from its pieces: the same text
    // as the saved plan rendered whole, every change listed once.
    const saved = w.scratch.loadPlan();
    expect(saved.changes.length).toBeGreaterThan(2);
    expect(output.plan_text).toBe(renderText(saved));
    expect(reported).toMatchObject({ kind: "applied", plan: saved, report: { ok: true, notAttempted: [] } });
    // Each batch asked for the stored ids of its own changes only, never for every stored token's.
    expect(asked.length).toBeGreaterThan(1);
    expect(asked.flat()).toEqual(saved.changes.map((c) => c.name));
    expect(output.outcomes.map((o) => `${o.action} ${o.name}`)).toEqual(saved.changes.map((c) => `${c.action} ${c.name}`));
    await expectConverged(w);
  });

  for (const units of [undefined, 1]) it(`a crash between any two persisted steps resumes to one live credential per spec, each with its own token${units ? " (a piece of work an invocation)" : ""}`, async () => {
    const clean = await world();
    const counted = { n: 0 };
    await drive(clean, { limit: 14, units, writes: counted });
    const steps = counted.n;
    expect(steps).toBeGreaterThan(20);
    const failures: string[] = [];
    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const w = await world();
      try {
        const error = await drive(w, { limit: 14, units, crashAt }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, `crash at step ${crashAt}`).toBeInstanceOf(Crash);
        // Let whatever the dead process still had in flight settle, as the kernel would have cut it.
        await new Promise((r) => setTimeout(r, 5));
        const resumed = await drive(w, { limit: 14, units, fresh: false });
        expect(resumed.status, JSON.stringify(resumed.errors)).toBe("succeeded");
        await expectConverged(w);
      } catch (error) {
        failures.push(`crash at ${crashAt}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("the start stage checks the specs across files and saves the sources as two pieces of work: one unit an invocation puts them in two", async () => {
    const w = await world();
    const p = process(w, { limit: 50, units: 1 });
    const request: RunRequest = { cause: "manual", mode: "apply" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "apply", request, request.mode));
    expect(await advanceRun(w.scratch.load() as RunState, p.portsFor(), SETTINGS)).toBeNull();
    const checked = w.scratch.load() as RunState;
    expect(checked).toMatchObject({ stage: "start", checked: true, idle: 0 });
    expect(w.scratch.loadSources()).toEqual([]);
    expect(await advanceRun(checked, p.portsFor(), SETTINGS)).toBeNull();
    const saved = w.scratch.load() as RunState;
    expect(saved.stage).toBe("list");
    expect(saved.checked).toBeUndefined();
    expect(w.scratch.loadSources()).toEqual(SPECS);
    // And the run goes on from there, a piece of work an invocation, to convergence.
    const output = await drive(w, { limit: 14, units: 1, fresh: false });
    expect(output.status, JSON.stringify(output.errors)).toBe("succeeded");
    await expectConverged(w);
  });

  it("the report is a piece of work of its own: one unit an invocation reports the plan in the invocation after the one that made it", async () => {
    const w = await world();
    const p = process(w, { limit: 50, units: 1 });
    const request: RunRequest = { cause: "manual", mode: "plan" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "plan", request, request.mode));
    const began: string[] = [];
    let output: RunOutput | null = null;
    for (let i = 0; i < 100 && !output; i++) {
      const state = w.scratch.load() as RunState;
      began.push(state.stage);
      output = await advanceRun(state, p.portsFor(), SETTINGS);
    }
    expect(output?.status).toBe("succeeded");
    // The invocation that made the plan yielded at the report; plan_text's lines came a piece (here a change) an
    // invocation, the tally (one piece of at most 250 rows) one, and the last one only reported.
    const changes = w.scratch.loadPlanHead().changes;
    expect(changes).toBeGreaterThan(1);
    expect(began.slice(-(changes + 3))).toEqual(["plan", ...Array.from({ length: changes + 2 }, () => "report")]);
  });

  it("the sources are saved for the plan stage a file a piece: one unit an invocation saves one file in each", async () => {
    const w = await world();
    const p = process(w, { limit: 50, units: 1 });
    // The seven specs in three files.
    const files = [NAMES.slice(0, 3), NAMES.slice(3, 5), NAMES.slice(5)].map((names, f) => ({ path: `credentials/${f}.yaml`, content: `credentials:\n${names.map((n) => `  - name: ${n}\n    description: ${n}\n`).join("")}` }));
    const saves: { files: string[]; append: boolean; invocation: number }[] = [];
    let invocation = 0;
    // One scratch object for the process, as the Durable Object has (the plan's index is kept per scratch).
    let scratch: RunScratch | null = null;
    const portsFor = (): RunPorts => {
      const ports = p.portsFor();
      if (!scratch) {
        scratch = Object.create(ports.scratch) as RunScratch;
        scratch.saveSources = (sources, options) => (saves.push({ files: sources.map((s) => s.path), append: options?.append ?? false, invocation }), w.scratch.saveSources(sources, options));
      }
      return { ...ports, scratch, specs: { read: async () => ({ sha: null, tree: null, sources: files }) } };
    };
    const request: RunRequest = { cause: "manual", mode: "plan" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "plan", request, request.mode));
    let output: RunOutput | null = null;
    for (; invocation < 200 && !output; invocation++) output = await advanceRun(w.scratch.load() as RunState, portsFor(), SETTINGS);
    expect(output?.status).toBe("succeeded");
    expect(saves.map((save) => [save.files, save.append])).toEqual([[["credentials/0.yaml"], false], [["credentials/1.yaml"], true], [["credentials/2.yaml"], true]]);
    expect(new Set(saves.map((save) => save.invocation)).size).toBe(3);
    expect(w.scratch.loadSources()).toEqual(files);
  });

  it("with every file in the parse cache, the plan's index reads the sources' keys, not their texts back", async () => {
    const w = await world();
    const p = process(w, { limit: 50 });
    const cache = new Map<string, FileResult>();
    const sources = SPECS.map((source) => ({ ...source, sha: "0123456789abcdef0123456789abcdef01234567" }));
    let texts = 0;
    const portsFor = (): RunPorts => {
      const ports = p.portsFor();
      const scratch: RunScratch = Object.create(ports.scratch) as RunScratch;
      scratch.loadSources = () => (texts++, w.scratch.loadSources());
      return { ...ports, scratch, specs: { read: async () => ({ sha: null, tree: null, sources }), cache } };
    };
    const request: RunRequest = { cause: "manual", mode: "plan" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "plan", request, request.mode));
    let output: RunOutput | null = null;
    for (let i = 0; i < 20 && !output; i++) output = await advanceRun(w.scratch.load() as RunState, portsFor(), SETTINGS);
    expect(output?.status).toBe("succeeded");
    // The world's account differs from the specs (an update, a create, a delete, a duplicate): a real plan was made.
    expect(output?.summary).toMatchObject({ create: expect.any(Number) });
    expect((output?.summary?.create ?? 0) + (output?.summary?.update ?? 0)).toBeGreaterThan(0);
    expect(cache.size).toBeGreaterThan(0);
    expect(texts).toBe(0);
  });

  it("a budget that leaves no room past the reporting reserve fails the run with a clear error, never spins", async () => {
    const w = await world();
    const error = await drive(w, { limit: 8 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunError);
    expect(error).toMatchObject({ code: "RUN_NO_ROOM", message: expect.stringContaining("MAX_SUBREQUESTS=8") });
    expect(w.account.calls()).toEqual([]);
  });

  it("a failed apply lists exactly the changes it never started, in the order they would have run", async () => {
    const w = await world();
    // A retired credential's delete runs first (cleanup) though the plan lists it last; make it fail.
    const [retired] = w.account.seed([{ metadata: encodeMetadata(null, { owner: OWNER, name: "old", retire: "2020-01-01T00:00:00.000Z" }) }]);
    w.account.addFaults({ method: "DELETE", path: `/credentials/${retired!.id}`, status: 400 });
    const output = await drive(w, { limit: 50 });
    expect(output.status).toBe("failed");
    const failed = output.outcomes.filter((o) => o.status === "failed").map((o) => `${o.action} ${o.name}`);
    const notAttempted = output.outcomes.filter((o) => o.status === "not_attempted").map((o) => `${o.action} ${o.name}`);
    const done = output.outcomes.filter((o) => o.status === "done").map((o) => `${o.action} ${o.name}`);
    expect(failed).toEqual(["delete old"]);
    expect(done.length + failed.length + notAttempted.length).toBe(output.summary ? output.outcomes.length : 0);
    // Every change of the plan is accounted for once.
    const all = [...failed, ...done, ...notAttempted].sort();
    expect(new Set(all).size).toBe(all.length);
    expect(notAttempted).not.toContain(failed[0]);
    expect(notAttempted).toContain("create svc-2");
  });

  it("a listing whose next page points back at itself fails the run instead of looping", async () => {
    const w = await world();
    const p = process(w, { limit: 50 });
    const ports = p.portsFor();
    let pages = 0;
    ports.ngrok.listPage = async (cursor) => {
      pages++;
      return { credentials: [], next: cursor ?? "/credentials?page=loop" };
    };
    const error = await advanceRun(newRunState(1, "apply", { cause: "manual", mode: "apply" }, "apply"), ports, SETTINGS).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "RUN_PAGING_LOOP" });
    expect(pages).toBe(2);
  });

  it("a listing that cycles through pages already read (A → B → A) fails at the first page read again, not after MAX_PAGES", async () => {
    const w = await world();
    const p = process(w, { limit: 50 });
    const ports = p.portsFor();
    const credential = (id: string) => ({ id, uri: `u/${id}`, created_at: "2026-01-01T00:00:00Z", token: null, acl: [], owner_id: "usr_1" });
    let pages = 0;
    ports.ngrok.listPage = async (cursor) => {
      pages++;
      return cursor === "/credentials?page=b" ? { credentials: [credential("cr_b")], next: "/credentials?page=a" } : { credentials: [credential("cr_a")], next: "/credentials?page=b" };
    };
    const error = await advanceRun(newRunState(1, "apply", { cause: "manual", mode: "apply" }, "apply"), ports, SETTINGS).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "RUN_PAGING_LOOP" });
    expect(pages).toBe(3);
  });

  it("a page read again after a stop that lost its step (added to the listing, state not saved) is not taken for a loop", async () => {
    const w = await world();
    const credential = (id: string) => ({ id, uri: `u/${id}`, created_at: "2026-01-01T00:00:00Z", token: null, acl: [], owner_id: "usr_1" });
    const pagesAt: Record<string, { credentials: ReturnType<typeof credential>[]; next: string | null }> = {
      first: { credentials: [credential("cr_p1")], next: "/credentials?page=2" },
      "/credentials?page=2": { credentials: [credential("cr_p2")], next: "/credentials?page=3" },
      "/credentials?page=3": { credentials: [credential("cr_p3")], next: null },
    };
    const listPage = async (cursor: string | null) => pagesAt[cursor ?? "first"] as { credentials: ReturnType<typeof credential>[]; next: string | null };
    w.scratch.save(newRunState(1, "apply", { cause: "manual", mode: "plan" }, "plan"));
    // The first process stops right after page 2 went into the listing, before the state that says so is saved.
    const first = { ...process(w, { limit: 50 }).portsFor() };
    first.ngrok.listPage = listPage;
    const save = first.scratch.save;
    first.scratch = { ...first.scratch, save: (state) => (state.pages === 2 && state.cursor !== "/credentials?page=2" ? Promise.reject(new Crash()) : save(state)) };
    await expect(advanceRun(w.scratch.load() as RunState, first, SETTINGS)).rejects.toBeInstanceOf(Crash);
    expect(w.scratch.load()).toMatchObject({ stage: "list", cursor: "/credentials?page=2", listed: 1 });
    const second = process(w, { limit: 50 }).portsFor();
    second.ngrok.listPage = listPage;
    const output = await advanceRun(w.scratch.load() as RunState, second, SETTINGS);
    expect(output?.status).toBe("succeeded");
    expect(output?.progress?.listed).toBe(3);
  });
});

describe("delivery never trusts a read-back of the token store", () => {
  const DELIVER = [{ path: "credentials/d.yaml", content: "credentials:\n  - name: ci\n    deliver:\n      - github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN}\n" }];

  async function deliveryRun(options: { limit: number }) {
    const w = await world();
    const p = process(w, { limit: 50 });
    const pushed: { name: string; id: string; token: string }[] = [];
    // A store whose reads lag behind its writes, as KV's do across locations: it answers with what it held before.
    const staleRead = async () => ({ name: "ci", id: "cr_stale", token: "stale-token-0123456789" });
    const state = newRunState(1, "apply", { cause: "manual", mode: "apply" }, "apply");
    for (let i = 0; i < 200; i++) {
      const ports = p.portsFor();
      const budget = new SubrequestBudget(options.limit, async (r) => w.emulator.fetch(r));
      const output = await advanceRun(state, {
        ...ports,
        budget,
        ngrok: new NgrokClient({ baseUrl: "http://emulator.test", apiKey: w.apiKey, fetch: budget.fetch, sleep: async () => {}, timeoutMs: 200 }),
        specs: { read: async () => ({ sha: null, tree: null, sources: DELIVER }) },
        tokens: { ...ports.tokens, read: staleRead },
        deliverer: { records: () => [], inspect: async () => ({ exists: false }), deliver: async (_d, token) => void pushed.push(token), undeliver: async () => {}, forget: () => {} },
      }, SETTINGS);
      if (output) return { w, output, pushed };
    }
    throw new Error("the run did not finish");
  }

  it("hands the token just minted to delivery in memory", async () => {
    const { w, output, pushed } = await deliveryRun({ limit: 50 });
    expect(output.status).toBe("succeeded");
    const id = pushed[0]?.id ?? "";
    expect(pushed).toEqual([{ name: "ci", id, token: w.account.tokens()[id] }]);
  });

  it("a delivery in a later invocation refuses a token the ledger does not confirm, instead of pushing it", async () => {
    // 11 calls an invocation: the create and the delivery land in different invocations.
    const { output, pushed } = await deliveryRun({ limit: 11 });
    expect(pushed).toEqual([]);
    expect(output.status).toBe("failed");
    expect(output.errors.join("\n")).toMatch(/not yet readable/);
  });
});
