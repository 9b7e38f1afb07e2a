// Service users, credentials, API keys and SSH credentials from one tree through the Worker: apply from empty, no changes after, a create whose answer is lost, teardown in order.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { accountLimiter, workerPorts, workerSettings } from "../../src/reconciler/ports.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { SubrequestBudget } from "../../src/run/budget.js";
import { unitsForCpuMs } from "../../src/run/cpu-units.js";
import { advanceRun } from "../../src/run/core.js";
import type { RunPorts } from "../../src/run/ports.js";
import { newRunState } from "../../src/run/state.js";
import type { RunOutput } from "../../src/run/types.js";
import { keyringFor, KvTokenStore, TokenVault } from "../../src/vault/index.js";
import { TEST_SECRETS } from "../support/test-env.js";
import { admin, bindings, commit, deliver, emulator, emulatorCalls, freshWorld, pushPayload, reconciler, settle } from "./support.js";
import { kindsTree } from "../support/kinds-tree.js";

class Kill extends Error {}

/**
 * Runs a manual apply inside the Durable Object on its own ports (SQLite scratch, KV vault), one invocation at a time
 * from the persisted state, killing the process as `kill` says: from then on every call and every write fails, as in
 * a process that is gone; the next invocations are a fresh process resuming from what was persisted.
 */
async function applyWithKill(kill: (request: Request) => boolean): Promise<RunOutput> {
  return runInDurableObject(reconciler(), async (_instance, state) => {
    const storage = new ReconcilerStorage(state.storage.sql);
    const env = bindings as Env;
    const config = parseConfig(env);
    const vault = new TokenVault(new KvTokenStore(env.TOKENS), await keyringFor(env.TOKEN_ENCRYPTION_KEYS));
    storage.scratch.save(newRunState(0, "kill", { cause: "manual", mode: "apply" }, "apply"));
    let killed = false;
    let dead = false;
    const guard = <T extends object>(target: T): T =>
      new Proxy(target, {
        get: (t, key) => {
          const value = Reflect.get(t, key) as unknown;
          return typeof value !== "function" ? value : (...args: unknown[]) => {
            if (dead) throw new Kill("killed");
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        },
      });
    const portsFor = (): RunPorts => {
      const budget = new SubrequestBudget(config.maxSubrequests, async (request) => {
        if (dead) throw new Kill("killed");
        const response = await fetch(request);
        if (!killed && kill(request)) {
          killed = dead = true;
          throw new Kill("killed with the request sent");
        }
        return response;
      }, unitsForCpuMs(config.maxCpuMs));
      const ports = workerPorts({ env, config, storage, budget, vault, limiter: accountLimiter(config, storage) });
      return { ...ports, scratch: guard(ports.scratch), intents: guard(ports.intents), tokens: guard(ports.tokens), ...(ports.reporter ? { reporter: guard(ports.reporter) } : {}) };
    };
    try {
      for (let i = 0; i < 500; i++) {
        const run = storage.scratch.load();
        if (!run) throw new Error("no run state persisted");
        try {
          const output = await advanceRun(run, portsFor(), workerSettings(config));
          if (output) return output;
        } catch (error) {
          if (!(error instanceof Kill)) throw error;
          // The next invocation is a new process.
          dead = false;
        }
      }
      throw new Error("the run did not finish");
    } finally {
      storage.scratch.clear();
    }
  });
}

const TREE = kindsTree();

interface Item {
  id: string;
  name?: string;
  owner_id?: string;
}
const list = async (path: string, field: string) => ((await emulator("GET", `${path}?limit=100`)) as Record<string, Item[]>)[field] ?? [];
const account = async () => ({ users: await list("/service_users", "service_users"), credentials: await list("/credentials", "credentials"), keys: await list("/api_keys", "keys"), ssh: await list("/ssh_credentials", "ssh_credentials") });

let head: string;

/** Pushes `content` as the tree's one file and waits for the apply. */
async function push(content: string) {
  const before = head;
  head = (await commit("main", { "credentials/all.yaml": content })).sha;
  expect((await deliver("push", pushPayload(head, before))).status).toBe(202);
  const last = (await settle()).last!;
  return { ...last, ...(await reconciler().run(last.id)) };
}

async function plan() {
  expect((await admin("/api/plan", { method: "POST" })).status).toBe(202);
  const last = (await settle()).last!;
  return (await reconciler().run(last.id))!;
}

/** One of each kind, every one owned by the one service user. */
async function expectConverged() {
  const { users, credentials, keys, ssh } = await account();
  expect(users.map((u) => u.name)).toEqual([`ci [ngrok-gitops:${TEST_SECRETS.OWNER_ID}]`]);
  expect([...credentials, ...keys, ...ssh].map((item) => item.owner_id)).toEqual([users[0]!.id, users[0]!.id, users[0]!.id]);
}

beforeAll(async () => {
  head = (await freshWorld()).base;
});

describe("every kind from one tree, through the Worker", () => {
  it("applies from empty, service users first, and re-plans to no changes", async () => {
    const before = (await emulatorCalls()).length;
    const run = await push(TREE);
    expect(run.status, run.errors.join("\n")).toBe("succeeded");
    expect(run.summary).toEqual({ create: 4, update: 0, delete: 0 });
    expect(run.plan_text).toContain("+ api_keys/deploy will be created");
    const writes = (await emulatorCalls()).slice(before).filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path}`);
    expect(writes[0]).toBe("POST /service_users");
    expect(writes.slice(1).sort()).toEqual(["POST /api_keys", "POST /credentials", "POST /ssh_credentials"]);
    await expectConverged();
    const again = await plan();
    expect(again.plan_text).toContain("No changes.");
  });

  it("a create whose answer is lost mid-apply: the next run deletes the orphan and creates it once, redoing nothing else", async () => {
    const changed = TREE.replace("ssh_credentials:", "  - name: release\n    owner: ci\nssh_credentials:");
    await emulator("POST", "/__emulator/faults", { faults: [{ method: "POST", path: "/api_keys", commitThenFail: true, status: 502 }] });
    const cut = await push(changed);
    await emulator("DELETE", "/__emulator/faults");
    expect(cut.status).toBe("failed");
    expect((await account()).keys).toHaveLength(2);
    const before = (await emulatorCalls()).length;
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const run = (await settle()).last!;
    expect(run.status, run.errors.join("\n")).toBe("succeeded");
    const writes = (await emulatorCalls()).slice(before).filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path.split("/")[1]}`);
    // The orphan (its intent open, its token never seen) is deleted and the key made once more; nothing else is touched.
    expect(writes.sort()).toEqual(["DELETE api_keys", "POST api_keys"]);
    expect((await account()).keys).toHaveLength(2);
    expect((await plan()).plan_text).toContain("No changes.");
    head = (await commit("main", { "credentials/all.yaml": TREE })).sha;
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last?.status).toBe("succeeded");
    await expectConverged();
  });

  it("tears down in order once the specs are removed; past MAX_DELETES only when allowed", async () => {
    const refused = await push("credentials: []\n");
    expect(refused.status).toBe("refused");
    expect(refused.errors.join("\n")).toContain("[MAX_DELETES]");
    expect((await account()).users).toHaveLength(1);
    const before = (await emulatorCalls()).length;
    expect((await admin("/api/reconcile", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ allow_deletes: true }) })).status).toBe(202);
    const run = (await settle()).last!;
    expect(run.status, run.errors.join("\n")).toBe("succeeded");
    // The emulator refuses to delete a service user that still owns something: it goes last.
    const deletes = (await emulatorCalls()).slice(before).filter((c) => c.method === "DELETE").map((c) => c.path.split("/")[1]);
    expect(deletes).toHaveLength(4);
    expect(deletes.at(-1)).toBe("service_users");
    expect(await account()).toEqual({ users: [], credentials: [], keys: [], ssh: [] });
  });

  it("a kill mid-apply (an API key's create sent, the process gone) resumes with nothing lost and the service user made once", async () => {
    head = (await commit("main", { "credentials/all.yaml": TREE })).sha;
    const before = (await emulatorCalls()).length;
    const output = await applyWithKill((request) => request.method === "POST" && new URL(request.url).pathname === "/api_keys");
    expect(output.status, output.errors.join("\n")).toBe("succeeded");
    const writes = (await emulatorCalls()).slice(before).filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path.split("/")[1]}`);
    // Whatever the kill cut is done again once; the service user, made before it, is never made again.
    expect(writes.filter((w) => w === "POST service_users")).toHaveLength(1);
    // The key whose create was cut: its intent was open, so it is deleted as an orphan and made once more.
    expect(writes.filter((w) => w === "POST api_keys")).toHaveLength(2);
    expect(writes.filter((w) => w === "DELETE api_keys")).toHaveLength(1);
    expect((await account()).keys).toHaveLength(1);
    await expectConverged();
    expect((await plan()).plan_text).toContain("No changes.");
  });

  it("with no record of the last apply, removing every kind's specs still tears them all down: the Durable Object keeps the kinds applied", async () => {
    const record = () => runInDurableObject(reconciler(), async (_instance, state) => new ReconcilerStorage(state.storage.sql).state.get("kinds_applied"));
    expect(await record()).toEqual(["service_users", "api_keys", "ssh_credentials"]);
    // The last applied commit is forgotten (as after a storage reset of that key): no previous specs to compare with.
    await runInDurableObject(reconciler(), async (_instance, state) => new ReconcilerStorage(state.storage.sql).state.set("last_applied", null));
    head = (await commit("main", { "credentials/all.yaml": "credentials: []\n" })).sha;
    expect((await admin("/api/reconcile", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ allow_deletes: true }) })).status).toBe(202);
    const run = (await settle()).last!;
    expect(run.status, run.errors.join("\n")).toBe("succeeded");
    expect(await account()).toEqual({ users: [], credentials: [], keys: [], ssh: [] });
    // Listed empty of ours at the next run, the kinds leave the record: nothing is listed for them after.
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last?.status).toBe("succeeded");
    expect(await record()).toEqual([]);
  });
});
