// All four kinds through the run core on the Worker's path: apply from empty, no changes after, a crash between any two persisted steps, teardown in order.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import type { IntentLog } from "../apply/types.js";
import type { OtherKindList } from "../desired/kind-types.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { API_KEYS, SERVICE_USERS, SSH_CREDENTIALS } from "../kinds/records.js";
import { NgrokClient } from "../ngrok/client.js";
import { ResourceClient, type ResourcesApi } from "../ngrok/resources.js";
import { decodeMetadata, encodeMetadata } from "../ownership/marker.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { SubrequestBudget } from "./budget.js";
import { advanceRun } from "./core.js";
import { DIFF_UNITS_PER_KIND_ITEM } from "./cpu-units.js";
import { MemoryScratch } from "./memory-scratch.js";
import type { RunPorts, RunScratch, TokenPort } from "./ports.js";
import { newRunState, type RunState } from "./state.js";
import type { RunOutput, RunRequest } from "./types.js";
import { kindsTree } from "../../test/support/kinds-tree.js";

const OWNER = "acme-prod";

function sshKey(): string {
  const x = Buffer.from(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(x)]).toString("base64")} agent`;
}

export const TREE = kindsTree(sshKey());
const EMPTY = "credentials: []\n";

class Crash extends Error {}

async function world() {
  const emulator = createEmulator({ rateLimit: "off" });
  const apiKey = `kinds_${Math.random().toString(36).slice(2)}`;
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
  const client = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch: (r) => emulator.fetch(r), sleep: async () => {}, rateLimit: "off" });
  return { emulator, apiKey, vault, intents: new MemoryIntentLog(), scratch: new MemoryScratch(), api: new ResourceClient(client), account: emulator.account(apiKey), applied: null as string | null, kindsApplied: null as OtherKindList[] | null };
}
type World = Awaited<ReturnType<typeof world>>;

/** Every durable write is a step; `crashAt: n` kills the process at the nth (not made), and every call after it fails. */
function portsFactory(w: World, content: string, options: { limit: number; units?: number; resources?: (api: ResourcesApi) => ResourcesApi; crashAt?: number; steps?: { n: number }; crashOn?: (request: Request) => boolean }) {
  const steps = options.steps ?? { n: 0 };
  let dead = false;
  const step = () => {
    if (dead || ++steps.n === options.crashAt) throw ((dead = true), new Crash("killed"));
  };
  const live = () => {
    if (dead) throw new Crash("killed");
  };
  const durable = new Set(["save", "saveSources", "clearLive", "addLive", "clearKindLive", "addKindLive", "savePlan", "saveDeliveries", "appendPlanText", "saveOutcome", "open", "close"]);
  const guard = <T extends object>(target: T, methods: string[]): T =>
    Object.fromEntries(methods.map((m) => [m, (...args: unknown[]) => ((durable.has(m) ? step() : live()), (target as Record<string, (...a: unknown[]) => unknown>)[m]?.apply(target, args))])) as T;
  const scratch = guard<RunScratch>(w.scratch, ["save", "saveSources", "loadSources", "clearLive", "addLive", "loadLive", "liveCount", "clearKindLive", "addKindLive", "loadKindLive", "kindLiveCount", "savePlan", "loadPlan", "loadPlanMeta", "loadPlanHead", "loadChanges", "loadDeliveries", "saveDeliveries", "appendPlanText", "planTextProgress", "loadPlanText", "saveOutcome", "loadOutcomes"]);
  const intents = guard<IntentLog>(w.intents, ["open", "close", "list"]);
  const tokens: TokenPort = { store: async (n, id, t) => (step(), w.vault.store(n, id, t)), remove: async (n) => (step(), w.vault.remove(n)), ids: () => w.vault.ids(), read: (n) => w.vault.read(n) };
  const sources = [{ path: "credentials/all.yaml", content }];
  const previous = w.applied;
  return (): RunPorts => {
    const budget = new SubrequestBudget(options.limit, async (request) => {
      live();
      if (options.crashOn?.(request)) throw ((dead = true), new Crash("killed"));
      return w.emulator.fetch(request);
    }, options.units);
    const ngrok = new NgrokClient({ baseUrl: "http://emulator.test", apiKey: w.apiKey, fetch: budget.fetch, sleep: async () => {}, timeoutMs: 200, rateLimit: "off" });
    return {
      specs: { read: async () => ({ sha: null, tree: null, sources, baseline: previous === null ? null : { ref: null, label: "the last apply" } }), previous: async () => (previous === null ? null : [{ path: "credentials/all.yaml", content: previous }]) },
      ngrok,
      resources: options.resources ? options.resources(new ResourceClient(ngrok)) : new ResourceClient(ngrok),
      ...(w.kindsApplied !== null ? { kindsApplied: { read: async () => [...(w.kindsApplied ?? [])], write: async (lists: readonly OtherKindList[]) => (step(), void (w.kindsApplied = [...lists])) } } : {}),
      tokens,
      intents,
      scratch,
      budget,
      takeCalls: () => ({ ngrok: 0, github: 0 }),
    };
  };
}

/** Drives a run as the Durable Object does: a fresh budget per invocation, the state reloaded from what was persisted. */
async function drive(w: World, content: string, options: { limit?: number; units?: number; resources?: (api: ResourcesApi) => ResourcesApi; crashAt?: number; crashOn?: (request: Request) => boolean; steps?: { n: number }; request?: RunRequest; fresh?: boolean; maxDeletes?: number } = {}): Promise<RunOutput> {
  const portsFor = portsFactory(w, content, { limit: options.limit ?? 14, ...options });
  if (options.fresh !== false) {
    const request = options.request ?? { cause: "manual", mode: "apply" };
    w.scratch.clear();
    w.scratch.save(newRunState(1, "apply", request, request.mode));
  }
  for (let i = 0; i < 500; i++) {
    const output = await advanceRun(w.scratch.load() as RunState, portsFor(), { config: { ownerId: OWNER, maxDeletes: options.maxDeletes ?? 5 }, reserve: 8 });
    if (output) {
      if (output.status === "succeeded" && (options.request?.mode ?? "apply") === "apply") w.applied = content;
      return output;
    }
  }
  throw new Error("the run did not finish");
}

async function liveKinds(w: World) {
  const [users, keys, ssh] = await Promise.all([SERVICE_USERS, API_KEYS, SSH_CREDENTIALS].map((kind) => w.api.list(kind)));
  return { users: users ?? [], keys: keys ?? [], ssh: ssh ?? [], credentials: w.account.credentials() };
}

/** One of each, all owned by the one service user, the two secrets in the vault, no intent open, and a plan of no changes. */
async function expectConverged(w: World): Promise<void> {
  const { users, keys, ssh, credentials } = await liveKinds(w);
  expect(users.map((u) => u.name)).toEqual([`ci [ngrok-gitops:${OWNER}]`]);
  const userId = users[0]?.id;
  expect([...keys, ...ssh, ...credentials].map((item) => item.owner_id)).toEqual([userId, userId, userId]);
  expect(credentials.map((c) => decodeMetadata(c.metadata).kind)).toEqual(["managed"]);
  expect((await w.vault.read("agent"))?.id).toBe(credentials[0]?.id);
  expect((await w.vault.read("api_keys/deploy"))?.id).toBe(keys[0]?.id);
  expect(await w.intents.list()).toEqual([]);
  const again = await drive(w, TREE, { limit: 50, request: { cause: "manual", mode: "plan" } });
  expect(again.plan_text).toContain("No changes.");
  expect(again.outcomes).toEqual([]);
}

describe("every kind through the run core", () => {
  it("applies from empty (service users first, one page per kind used), then plans no changes", async () => {
    const w = await world();
    const output = await drive(w, TREE);
    expect(output.status, output.errors.join("\n")).toBe("succeeded");
    expect(output.outcomes.map((o) => `${o.action} ${o.name}`).sort()).toEqual(["create agent", "create api_keys/deploy", "create service_users/ci", "create ssh_credentials/bastion"]);
    expect(output.plan_text).toContain("+ service_users/ci will be created");
    expect(output.plan_text).toContain("owner_id: ci (owner:)");
    // The API key's token goes to the vault only: never into the plan or the output.
    const token = (await w.vault.read("api_keys/deploy"))?.token ?? "";
    expect(token).not.toBe("");
    expect(JSON.stringify(output)).not.toContain(token);
    // One list page per kind used, one create per resource: the lower bound.
    const calls = w.account.calls().map((c) => `${c.method} ${c.path.replace(/\?.*$/, "")}`);
    expect(calls.slice(0, 5)).toEqual(["GET /credentials", "GET /service_users", "GET /api_keys", "GET /ssh_credentials", "POST /service_users"]);
    // The service user first; what it owns after it, side by side.
    expect(calls.slice(5).sort()).toEqual(["POST /api_keys", "POST /credentials", "POST /ssh_credentials"]);
    await expectConverged(w);
  });

  it("a crash between any two persisted steps resumes with nothing redone or lost", async () => {
    const steps = { n: 0 };
    await drive(await world(), TREE, { steps });
    expect(steps.n).toBeGreaterThan(15);
    const failures: string[] = [];
    for (let crashAt = 1; crashAt <= steps.n; crashAt++) {
      const w = await world();
      try {
        await expect(drive(w, TREE, { crashAt })).rejects.toBeInstanceOf(Crash);
        const resumed = await drive(w, TREE, { fresh: w.scratch.load() === null });
        expect(resumed.status, resumed.errors.join("\n")).toBe("succeeded");
        await expectConverged(w);
      } catch (error) {
        failures.push(`crash at ${crashAt}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it("an API key whose create answer was lost stays an orphan to delete until it is gone, however the next apply is cut", async () => {
    const w = await world();
    w.account.addFaults({ method: "POST", path: "/api_keys", commitThenFail: true, status: 502 });
    expect((await drive(w, TREE)).status).toBe("failed");
    // The next apply plans the orphan's delete and is killed before it is sent: its intent must still be open.
    await expect(drive(w, TREE, { crashOn: (r) => r.method === "DELETE" })).rejects.toBeInstanceOf(Crash);
    expect((await w.intents.list()).map((i) => i.name)).toEqual(["api_keys/deploy"]);
    expect((await drive(w, TREE, { fresh: false })).status).toBe("succeeded");
    expect((await liveKinds(w)).keys).toHaveLength(1);
    await expectConverged(w);
  });

  it("refuses to delete a service user a live credential the plan keeps still names as owner (OWNER_IN_USE in the plan, not an ngrok refusal at apply)", async () => {
    const w = await world();
    expect((await drive(w, TREE)).status).toBe("succeeded");
    const ci = (await liveKinds(w)).users[0]?.id ?? "";
    // An unmanaged credential owned by ci: the credential diff keeps it and holds nothing of it.
    await new NgrokClient({ baseUrl: "http://emulator.test", apiKey: w.apiKey, fetch: (r) => w.emulator.fetch(r), sleep: async () => {}, rateLimit: "off" }).create({ description: "by hand", owner_id: ci });
    const before = w.account.calls().length;
    const refused = await drive(w, EMPTY, { maxDeletes: 10, request: { cause: "manual", mode: "apply", allowDeletes: true } });
    expect(refused.status, refused.errors.join("\n")).toBe("refused");
    expect(refused.errors.join("\n")).toContain("[OWNER_IN_USE]");
    expect(w.account.calls().slice(before).filter((c) => c.method !== "GET")).toEqual([]);
    expect((await liveKinds(w)).users).toHaveLength(1);
  });

  it("removing a kind's last spec deletes what it made with no record of the last apply, through the kinds applied; then lists it no more", async () => {
    for (const recorded of [false, true]) {
      const w = await world();
      if (recorded) w.kindsApplied = [];
      expect((await drive(w, TREE)).status).toBe("succeeded");
      if (recorded) expect(w.kindsApplied).toEqual(["service_users", "api_keys", "ssh_credentials"]);
      // The last applied specs are lost (a new CLI machine, a baseline that cannot be read).
      w.applied = null;
      const down = await drive(w, EMPTY, { maxDeletes: 10, request: { cause: "manual", mode: "apply", allowDeletes: true } });
      const left = await liveKinds(w);
      if (!recorded) {
        // Without the record the SSH credential is never listed, and ngrok refuses to delete its owner.
        expect(left.ssh).toHaveLength(1);
        continue;
      }
      expect(down.status, down.errors.join("\n")).toBe("succeeded");
      expect([left.users, left.keys, left.ssh, left.credentials]).toEqual([[], [], [], []]);
      // The next apply lists each kind once more, finds nothing of ours, and records none: the fewest calls after.
      const before = w.account.calls().length;
      expect((await drive(w, EMPTY)).status).toBe("succeeded");
      expect(w.kindsApplied).toEqual([]);
      const calls = w.account.calls().slice(before).map((c) => c.path.split("?")[0]);
      expect(calls).toEqual(["/credentials", "/service_users", "/api_keys", "/ssh_credentials"]);
      const after = w.account.calls().length;
      expect((await drive(w, EMPTY)).status).toBe("succeeded");
      expect(w.account.calls().slice(after).map((c) => c.path.split("?")[0])).toEqual(["/credentials"]);
    }
  });

  it("a kind's failed call is reported as a credential's is: ngrok's status and operation id, the client's code", async () => {
    const w = await world();
    w.account.addFaults({ method: "POST", path: "/ssh_credentials", status: 400 });
    const output = await drive(w, TREE);
    expect(output.status).toBe("failed");
    expect(output.outcomes.find((o) => o.status === "failed")).toMatchObject({ name: "ssh_credentials/bastion", operation_id: expect.stringMatching(/^op_/) });
  });

  it("tears down in order once the specs are removed (service user last), and MAX_DELETES counts every kind", async () => {
    const w = await world();
    expect((await drive(w, TREE)).status).toBe("succeeded");
    const refused = await drive(w, EMPTY, { maxDeletes: 3 });
    expect(refused.status).toBe("refused");
    expect(refused.errors.join("\n")).toContain("[MAX_DELETES]");
    expect((await liveKinds(w)).users).toHaveLength(1);
    const before = w.account.calls().length;
    const down = await drive(w, EMPTY, { maxDeletes: 3, request: { cause: "manual", mode: "apply", allowDeletes: true } });
    expect(down.status, down.errors.join("\n")).toBe("succeeded");
    // The emulator refuses to delete a service user that still owns something: last is the only order that works.
    const deletes = w.account.calls().slice(before).filter((c) => c.method === "DELETE").map((c) => c.path.split("/")[1]);
    expect(deletes.at(-1)).toBe("service_users");
    expect(deletes).toHaveLength(4);
    expect(down.outcomes).toHaveLength(4);
    const left = await liveKinds(w);
    expect([left.users, left.keys, left.ssh, left.credentials]).toEqual([[], [], [], []]);
    expect(await w.vault.ids()).toEqual(new Map());
  });

  it("3,000 API keys and SSH credentials plan within the Free budgets: the listing in the scratch, not the state, and the diff a slice per invocation within its units", async () => {
    const w = await world();
    const key = sshKey();
    const names = Array.from({ length: 1500 }, (_, i) => `k-${String(i).padStart(4, "0")}`);
    // Ours, the API keys' secrets in the vault (a keeper whose secret the vault lacks is kept whole by the sliced diff).
    for (const name of names) {
      const created = await w.api.create(API_KEYS, { description: "", metadata: encodeMetadata(null, { owner: OWNER, name }) });
      await w.vault.store(`api_keys/${name}`, created.id, created.token ?? "");
      await w.api.create(SSH_CREDENTIALS, { description: "", metadata: encodeMetadata(null, { owner: OWNER, name }), acl: [], public_key: key });
    }
    const tree = `api_keys:\n${names.map((name) => `  - name: ${name}\n`).join("")}ssh_credentials:\n${names.map((name) => `  - name: ${name}\n    public_key: ${key}\n`).join("")}`;
    // What each invocation saved and read: the state's size, and the kinds' rows it diffed.
    let biggestState = 0;
    let rows = 0;
    const perInvocation: number[] = [];
    const { save, loadKindLive } = w.scratch;
    w.scratch.save = (state) => ((biggestState = Math.max(biggestState, JSON.stringify(state).length)), save.call(w.scratch, state));
    w.scratch.loadKindLive = (list, range) => {
      const items = loadKindLive.call(w.scratch, list, range);
      rows += items.length;
      return items;
    };
    const units = 8000;
    const request = { cause: "manual", mode: "plan" } as const;
    w.scratch.clear();
    w.scratch.save(newRunState(1, "plan", request, "plan"));
    const portsFor = portsFactory(w, tree, { limit: 50, units });
    let output: RunOutput | null = null;
    for (let i = 0; i < 200 && output === null; i++) {
      rows = 0;
      output = await advanceRun(w.scratch.load() as RunState, portsFor(), { config: { ownerId: OWNER, maxDeletes: 5 }, reserve: 8 });
      perInvocation.push(rows);
    }
    expect(output?.status, output?.errors.join("\n")).toBe("succeeded");
    expect(output?.plan_text).toContain("No changes.");
    expect(output?.progress?.max_work_units).toBeLessThanOrEqual(units);
    // The state stays small: 3,000 listed keys would be most of a megabyte of JSON rewritten at every step.
    expect(biggestState).toBeLessThan(16_000);
    // Every key was diffed, from the scratch, a slice per invocation that its units pay for.
    expect(perInvocation.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(Math.max(...perInvocation) * DIFF_UNITS_PER_KIND_ITEM).toBeLessThanOrEqual(units);
    expect(perInvocation.filter((n) => n > 0).length).toBeGreaterThan(1);
  }, 60_000);

  it("a kind's listing that cycles through pages already read (A → B → A) fails the run at the first page read again", async () => {
    const w = await world();
    const cycling = (api: ResourcesApi): ResourcesApi => ({
      ...api,
      create: (kind, body) => api.create(kind, body),
      update: (kind, id, body) => api.update(kind, id, body),
      delete: (kind, id) => api.delete(kind, id),
      listPage: async (kind, cursor) => {
        const page = await api.listPage(kind, null);
        return kind === API_KEYS ? { items: page.items, next: cursor === "B" ? "A" : "B" } : page;
      },
    });
    await w.api.create(API_KEYS, { description: "k" });
    const output = await drive(w, TREE, { limit: 50, resources: cycling, request: { cause: "manual", mode: "plan" } }).catch((error: unknown) => error);
    expect(JSON.stringify(output)).toContain("RUN_PAGING_LOOP");
    // At the first page read again: A, B, then A.
    expect(w.account.calls().filter((c) => c.path.startsWith("/api_keys")).length).toBe(3);
  });
});
