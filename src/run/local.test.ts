// Reconcile against the emulator on the Worker's path (a subrequest budget per invocation, state reloaded from
// persisted scratch): convergence, idempotence, and the fault matrix (every fault at every call).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator, type Fault } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { NgrokClient } from "../ngrok/client.js";
import { decodeMetadata, encodeMetadata } from "../ownership/marker.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { SubrequestBudget } from "./budget.js";
import { advanceRun } from "./core.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { SpecSource } from "../desired/types.js";
import { runLocal, type RunDeps, type RunResult } from "./local.js";
import { newRunState } from "./state.js";

/** Subrequests per invocation: small, so a run spans several invocations and resumes from what it persisted. */
const LIMIT = 20;

/** Drives the core as the Durable Object does: a fresh budget and client per invocation, the state reloaded each time. */
async function workerPath(sources: readonly SpecSource[], mode: "plan" | "apply", deps: RunDeps, clientFor: (fetch: (r: Request) => Promise<Response>) => NgrokClient, fetch: (r: Request) => Promise<Response>): Promise<RunResult> {
  const scratch = new MemoryScratch();
  scratch.save(newRunState(1, "apply", { cause: "manual", mode }, mode));
  let result: RunResult | null = null;
  for (let i = 0; i < 1000; i++) {
    const budget = new SubrequestBudget(LIMIT, fetch);
    const output = await advanceRun(scratch.load()!, {
      specs: { read: async () => ({ sha: null, tree: null, sources: [...sources] }) },
      ngrok: clientFor(budget.fetch),
      tokens: deps.vault,
      intents: deps.intents,
      scratch,
      reporter: { finish: async (_state, r) => void (result = r) },
      budget,
      takeCalls: () => ({ ngrok: 0, github: 0 }),
    }, { config: { ownerId: OWNER, maxDeletes: 5 }, reserve: 8 });
    if (output) return result as unknown as RunResult;
  }
  throw new Error("the run did not finish");
}

const OWNER = "acme-prod";
const SPECS = [
  {
    path: "credentials/a.yaml",
    content: [
      "credentials:",
      "  - name: new-one",
      "    description: first",
      "    acl: [bind:one.example.com]",
      "  - name: new-two",
      "    metadata: {team: x}",
      "  - name: changed",
      "    description: after",
      "  - name: moved",
      "    owner_id: bot_2newowner",
    ].join("\n"),
  },
];

const SPEC_NAMES = new Set(["new-one", "new-two", "changed", "moved"]);

interface World {
  deps: RunDeps & { vault: TokenVault };
  account: ReturnType<ReturnType<typeof createEmulator>["account"]>;
  unmanagedId: string;
  run(mode?: "plan" | "apply"): Promise<RunResult>;
}

let keys = 0;
/** `failStore: n` fails the nth token write of the runs (the three seeded writes are not counted). */
async function world(options: { failStore?: number } = {}): Promise<World> {
  const emulator = createEmulator();
  const apiKey = `key_${++keys}`;
  const account = emulator.account(apiKey);
  const clientFor = (fetch: (r: Request) => Promise<Response>) => new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch, sleep: async () => {}, timeoutMs: 100 });
  const fetch = async (r: Request) => emulator.fetch(r);
  const ngrok = clientFor(fetch);
  // The token store (KV in production) can be made to fail its nth write.
  const store = new MemoryTokenStore();
  let puts = 0;
  const put = store.put.bind(store);
  store.put = async (entry) => {
    if (++puts === (options.failStore ?? Number.NaN) + 3) throw new Error("KV is down");
    return put(entry);
  };
  const vault = new TokenVault(store, await importKeyring(generateKeyringEntry("k1")));
  const intents = new MemoryIntentLog();
  const mark = (name: string) => encodeMetadata(null, { owner: OWNER, name });
  const [unmanaged, changed, moved, removed] = account.seed([
    { description: "made by hand", metadata: '{"device":"d1"}', acl: ["bind:hand.example.com"] },
    { description: "before", metadata: mark("changed") },
    { metadata: mark("moved"), owner_id: "usr_1old" },
    { metadata: mark("removed") },
  ]);
  for (const [name, c] of [["changed", changed], ["moved", moved], ["removed", removed]] as const) {
    await vault.store(name, c!.id, c!.token!);
  }
  const deps = { ngrok, vault, intents };
  return {
    deps,
    account,
    unmanagedId: unmanaged!.id,
    run: (mode = "apply") => workerPath(SPECS, mode, deps, clientFor, fetch),
  };
}

/** The invariants: no duplicate, no managed credential without its real token stored, unmanaged untouched, no open intent. */
async function expectConverged(w: World): Promise<void> {
  const plan = await w.run("plan");
  expect(plan.kind).toBe("planned");
  if (plan.kind !== "planned") return;
  expect(plan.plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual([]);
  const live = w.account.credentials();
  const tokens = w.account.tokens();
  const names: string[] = [];
  for (const credential of live) {
    const decoded = decodeMetadata(credential.metadata);
    if (decoded.kind === "unmarked") continue;
    names.push(decoded.marker.name);
    const stored = await w.deps.vault.read(decoded.marker.name);
    expect(stored, `token of ${decoded.marker.name}`).toEqual({ name: decoded.marker.name, id: credential.id, token: tokens[credential.id] });
  }
  expect(names.sort()).toEqual(["changed", "moved", "new-one", "new-two"]);
  const unmanaged = live.find((c) => c.id === w.unmanagedId);
  expect(unmanaged).toMatchObject({ description: "made by hand", metadata: '{"device":"d1"}', acl: ["bind:hand.example.com"] });
  expect(await w.deps.intents.list()).toEqual([]);
  expect(live.find((c) => decodeMetadata(c.metadata).kind === "managed" && (decodeMetadata(c.metadata) as { marker: { name: string } }).marker.name === "moved")?.owner_id).toBe("bot_2newowner");
}

/**
 * Right after a faulted run, before any cleanup: every managed credential alive on the account that a spec still
 * names either has its own token stored, or carries the nonce of an open intent (so the next run finds it as an
 * orphan and deletes it), or is the old half of a replace whose name now stores the new credential's token (a
 * duplicate the next run deletes). A credential whose spec was removed is on its way out (an injected 404 on its
 * DELETE reads as "already gone"), so its token no longer matters.
 */
async function expectNoTokenLost(w: World): Promise<void> {
  const open = new Set((await w.deps.intents.list()).map((i) => i.nonce));
  const tokens = w.account.tokens();
  const stored = await w.deps.vault.ids();
  for (const credential of w.account.credentials()) {
    const decoded = decodeMetadata(credential.metadata);
    if (decoded.kind !== "managed") continue;
    const { name, nonce } = decoded.marker;
    if (!SPEC_NAMES.has(name)) continue;
    const token = await w.deps.vault.read(name);
    if (token?.id === credential.id) {
      expect(token.token, `token of ${name}`).toBe(tokens[credential.id]);
      continue;
    }
    const covered = (nonce !== undefined && open.has(nonce)) || (stored.has(name) && w.account.credentials().some((c) => c.id === stored.get(name)));
    expect(covered, `${name} (${credential.id}) is alive with neither its token stored nor an open intent`).toBe(true);
  }
}

describe("reconcile against the emulator", () => {
  it("converges in one run and then plans nothing (idempotent)", async () => {
    const w = await world();
    const first = await w.run();
    expect(first.kind).toBe("applied");
    if (first.kind !== "applied") return;
    expect(first.report.ok).toBe(true);
    expect(first.plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual(["create new-one", "create new-two", "update changed", "replace moved", "delete removed"]);
    expect(await w.deps.vault.read("removed")).toBeNull();
    await expectConverged(w);
    const again = await w.run();
    expect(again.kind === "applied" && again.plan.changes).toEqual([]);
  });

  it("plans with GET calls only", async () => {
    const w = await world();
    await w.run("plan");
    expect(new Set(w.account.calls().map((c) => c.method))).toEqual(new Set(["GET"]));
  });

  it("invalid specs apply nothing and call nothing", async () => {
    const w = await world();
    const result = await runLocal([{ path: "credentials/a.yaml", content: "credentials:\n  - name: Bad\n" }], { ownerId: OWNER, maxDeletes: 5, mode: "apply" }, w.deps);
    expect(result.kind).toBe("invalid");
    expect(w.account.calls()).toEqual([]);
  });

  it("a token that cannot be stored never leaves its credential alive", async () => {
    const w = await world({ failStore: 1 });
    const first = await w.run();
    expect(first.kind === "applied" && first.report.ok).toBe(false);
    if (first.kind !== "applied") return;
    const failure = first.report.outcomes.find((o) => o.status === "failed");
    expect(failure).toMatchObject({ status: "failed", error: { code: "TOKEN_NOT_STORED" } });
    expect(failure?.status === "failed" && failure.compensation).toMatch(/^deleted cr_\w+ again/);
    const managed = w.account.credentials().filter((c) => decodeMetadata(c.metadata).kind === "managed");
    for (const c of managed) expect((await w.deps.vault.ids()).get((decodeMetadata(c.metadata) as { marker: { name: string } }).marker.name)).toBe(c.id);
    await w.run();
    await expectConverged(w);
  });

  // Every fault kind at every call index of the first run, then a clean run: converged, nothing lost.
  const kinds: Record<string, Fault> = {
    "400": { status: 400 },
    "401": { status: 401 },
    "404": { status: 404 },
    "409": { status: 409 },
    "429": { status: 429, retryAfter: 1 },
    "500": { status: 500 },
    "503x9": { status: 503, times: 9 },
    commitThenFail: { commitThenFail: true, status: 502 },
    reset: { reset: true },
    timeout: { timeout: true, latencyMs: 300 },
  };
  const matrix = { cases: 0, failures: [] as string[] };
  let firstRunCalls = 0;
  beforeAll(async () => {
    // The matrix covers every call a clean first run makes (list, creates, update, replace, delete).
    const w = await world();
    await w.run();
    firstRunCalls = w.account.calls().length;
  });
  afterAll(() => {
    console.log(`fault matrix: ${matrix.cases} cases, ${matrix.failures.length} failures`);
  });
  for (const [kind, fault] of Object.entries(kinds)) {
    it(`fault matrix: ${kind} at every call index, then a clean run converges`, async () => {
      expect(firstRunCalls).toBeGreaterThanOrEqual(7);
      let fired = 0;
      const failures: string[] = [];
      for (let nth = 1; nth <= firstRunCalls; nth++) {
        matrix.cases++;
        try {
          const w = await world();
          w.account.addFaults({ ...fault, nth });
          // A failed list ends the run with an error before anything is applied; anything else is reported.
          await w.run().catch((error: unknown) => expect(error).toMatchObject({ operation: "credentials.list" }));
          if (w.account.calls().some((call) => call.fault !== null)) fired++;
          else throw new Error(`the fault did not fire at call ${nth}`);
          await expectNoTokenLost(w);
          w.account.clearFaults();
          await w.run();
          await expectConverged(w);
          // Untouched also means never written to: no PATCH or DELETE ever named the unmanaged id.
          expect(w.account.calls().filter((call) => call.method !== "GET" && call.path.includes(w.unmanagedId))).toEqual([]);
        } catch (error) {
          failures.push(`${kind} at call ${nth}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      matrix.failures.push(...failures);
      expect(failures).toEqual([]);
      // The fault really hit each call of the first run.
      expect(fired).toBe(firstRunCalls);
      expect(fired).toBeGreaterThanOrEqual(7);
    });
  }
});
