// Every kind through one generic path against the emulator: apply from empty, no changes after, crash safety, teardown order, the rails.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import { loadSpecs } from "../desired/load.js";
import type { KindSpecs } from "../desired/kind-types.js";
import { NgrokClient } from "../ngrok/client.js";
import { ResourceClient, type ResourceBody, type ResourcesApi } from "../ngrok/resources.js";
import { maxDeletesAcrossKinds } from "../plan/kinds-diff.js";
import type { Plan } from "../plan/types.js";
import { createEmulator } from "../../standins/ngrok/app.js";
import { applyKinds } from "./apply.js";
import { planKinds } from "./plan-kinds.js";
import { API_KEYS, SERVICE_USERS, SSH_CREDENTIALS, type KindRecord } from "./records.js";

const OWNER = "test-owner";
const ORIGIN = "http://emulator.test";

function sshKey(): string {
  const x = Buffer.from(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(x)]).toString("base64")} agent`;
}

const KEY = sshKey();
const TREE = [
  "service_users:",
  "  - name: ci",
  "api_keys:",
  "  - name: deploy",
  "    description: CI deploys",
  "    owner: ci",
  "ssh_credentials:",
  "  - name: bastion",
  "    owner: ci",
  "    acl: [bind:ssh.example.com]",
  `    public_key: ${KEY}`,
].join("\n");

function kindsOf(content: string | null): KindSpecs {
  const loaded = loadSpecs(content === null ? [] : [{ path: "credentials/all.yaml", content }], { ownerId: OWNER });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.kinds;
}

function setup() {
  const emulator = createEmulator({ rateLimit: "off" });
  const apiKey = `key_${Math.random().toString(36).slice(2)}`;
  const client = new NgrokClient({ baseUrl: ORIGIN, apiKey, fetch: (request) => emulator.fetch(request), rateLimit: "off" });
  const vault = new Map<string, { id: string; token: string }>();
  const keeper = { store: async (name: string, id: string, token: string) => void vault.set(name, { id, token }), remove: async (name: string) => void vault.delete(name) };
  const intents = new MemoryIntentLog();
  const stored = () => new Map([...vault].map(([name, entry]) => [name, entry.id]));
  const plan = async (content: string | null, api: ResourcesApi = new ResourceClient(client), managed = new Set(["service_users", "api_keys", "ssh_credentials"] as const)) =>
    planKinds({ api, ownerId: OWNER, kinds: kindsOf(content), credentials: [], managed, stored: stored(), intents: await intents.list(), now: Date.now() });
  const apply = async (content: string | null, api: ResourcesApi = new ResourceClient(client)) => {
    const { plan: planned, owners } = await plan(content, api);
    return applyKinds(planned, { api, vault: keeper, intents, stored: stored(), owners });
  };
  return { emulator, client, vault, intents, plan, apply };
}

describe("service users, API keys and SSH credentials from one tree", () => {
  it("apply from empty: service users first, every call at the lower bound; then no changes; the minted key is sealed and authenticates", async () => {
    const { emulator, client, vault, plan, apply } = setup();
    const first = await plan(TREE);
    expect(first.plan.changes.map((c) => `${c.kind}:${c.action}:${c.name}`)).toEqual(["service_user:create:ci", "api_key:create:deploy", "ssh_credential:create:bastion"]);
    client.resetStats();
    const applied = await apply(TREE);
    expect(applied.ok).toBe(true);
    expect(applied.outcomes.map((o) => o.change.kind)).toEqual(["service_user", "api_key", "ssh_credential"]);
    // One page per kind used, one create per resource: the lower bound.
    expect(client.stats.byOperation).toEqual({ "service_users.list": 1, "api_keys.list": 1, "ssh_credentials.list": 1, "service_users.create": 1, "api_keys.create": 1, "ssh_credentials.create": 1 });
    const again = await plan(TREE);
    expect(again.plan.changes).toEqual([]);
    expect(again.plan.unchanged).toEqual(["api_keys/deploy", "service_users/ci", "ssh_credentials/bastion"]);
    // An SSH credential has no secret: nothing of it is "not in the vault".
    expect(again.plan.notes).toEqual([]);
    const sealed = vault.get("api_keys/deploy");
    expect(sealed?.id).toMatch(/^ak_/);
    // The minted key is a working API key of the account: it lists the service user we made, owned as the spec says.
    const asKey = new ResourceClient(new NgrokClient({ baseUrl: ORIGIN, apiKey: sealed?.token ?? "", fetch: (request) => emulator.fetch(request), rateLimit: "off" }));
    const users = (await asKey.listPage(SERVICE_USERS, null)).items;
    const keys = (await new ResourceClient(client).listPage(API_KEYS, null)).items;
    expect(users.map((u) => u.name)).toEqual(["ci [ngrok-gitops:test-owner]"]);
    expect(keys.map((k) => k.owner_id)).toEqual([users[0]?.id]);
  });

  it("tears down in the right order: service users last (the emulator refuses a service user that still owns something)", async () => {
    const { apply, plan, vault } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const down = await plan(null);
    expect(down.plan.changes.map((c) => `${c.kind}:${c.action}`).sort()).toEqual(["api_key:delete", "service_user:delete", "ssh_credential:delete"]);
    const done = await apply(null);
    expect(done.ok).toBe(true);
    expect(done.outcomes.map((o) => o.change.kind).at(-1)).toBe("service_user");
    expect(vault.size).toBe(0);
    expect((await plan(null)).plan.changes).toEqual([]);
  });

  it("a create whose answer is lost: the next apply deletes the orphan (its intent is open) and creates again; nothing else is redone", async () => {
    const { client, apply, plan, vault, intents } = setup();
    const real = new ResourceClient(client);
    // The API key's create reaches ngrok, but its answer is lost: the secret was never seen.
    const lossy: ResourcesApi = {
      listPage: (kind, cursor) => real.listPage(kind, cursor),
      update: (kind, id, body) => real.update(kind, id, body),
      delete: (kind, id) => real.delete(kind, id),
      create: async (kind: KindRecord, body: ResourceBody) => {
        const created = await real.create(kind, body);
        if (kind === API_KEYS) throw Object.assign(new Error("connection reset"), { code: "NGROK_NETWORK_ERROR" });
        return created;
      },
    };
    const cut = await apply(TREE, lossy);
    expect(cut.ok).toBe(false);
    expect(cut.notAttempted.map((c) => c.name)).toEqual(["bastion"]);
    expect(await intents.list()).toHaveLength(1);
    const next = await plan(TREE);
    expect(next.plan.changes.map((c) => `${c.kind}:${c.action}:${c.name}${c.action === "delete" ? `:${c.reason}` : ""}`)).toEqual(["api_key:delete:deploy:orphan", "api_key:create:deploy", "ssh_credential:create:bastion"]);
    expect((await apply(TREE)).ok).toBe(true);
    expect(await intents.list()).toEqual([]);
    expect(vault.get("api_keys/deploy")?.id).toMatch(/^ak_/);
    expect((await plan(TREE)).plan.changes).toEqual([]);
    expect((await real.listPage(API_KEYS, null)).items).toHaveLength(1);
  });

  it("refuses to delete a service user that still owns a live resource the specs keep", async () => {
    const { apply, plan } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const ids = await plan(TREE);
    const userId = ids.owners.get("ci") ?? "";
    const keep = ["api_keys:", "  - name: deploy", "    description: CI deploys", `    owner_id: ${userId}`].join("\n");
    const refused = await plan(keep);
    expect(refused.plan.refusals.map((r) => r.code)).toEqual(["OWNER_IN_USE"]);
    expect(refused.plan.refusals[0]?.message).toContain(`service user "ci" (${userId}) still owns 1 live resource`);
  });

  it("MAX_DELETES counts every kind", async () => {
    const { apply, plan } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const down = (await plan(null)).plan;
    const none: Plan = { ownerId: OWNER, changes: [], deliveries: [], retiring: 0, unchanged: [], unmanaged: 0, foreign: 0, refusals: [], notes: [], staleIntents: [] };
    expect(maxDeletesAcrossKinds(none, down, 2, false).refusals.map((r) => r.message)).toEqual(["the plan ends 3 resources of every kind (3 deletes, 0 replaces, 0 requested rotations); MAX_DELETES is 2 (allow it explicitly to proceed)"]);
    expect(maxDeletesAcrossKinds(none, down, 3, false).refusals).toEqual([]);
    expect(maxDeletesAcrossKinds(none, down, 2, true).refusals).toEqual([]);
  });

  it("lists only the kinds the specs use: API keys alone cost one page of API keys", async () => {
    const { client, plan } = setup();
    client.resetStats();
    await plan("api_keys:\n  - name: k\n", undefined, new Set());
    expect(client.stats.byOperation).toEqual({ "api_keys.list": 1 });
  });

  it("a delete ngrok answers 404 counts as gone: the key deleted by hand meanwhile, the teardown still completes", async () => {
    const { client, apply, plan, vault } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const real = new ResourceClient(client);
    const down = (await plan(null)).plan;
    const key = down.changes.find((c) => c.kind === "api_key");
    await real.delete(API_KEYS, key && "id" in key ? key.id : "");
    const done = await applyKinds(down, { api: real, vault: { store: async () => undefined, remove: async (name) => void vault.delete(name) }, intents: new MemoryIntentLog(), stored: new Map([...vault].map(([name, entry]) => [name, entry.id])), owners: new Map() });
    expect(done.outcomes.map((o) => `${o.change.kind}:${o.status}`).sort()).toEqual(["api_key:done", "service_user:done", "ssh_credential:done"]);
    expect(vault.size).toBe(0);
  });

  it("a 404 that ngrok did not give (a plain error with status_code 404, e.g. from a proxy) is a failure, not gone: the key and its secret stay", async () => {
    const { client, apply, plan, vault } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const real = new ResourceClient(client);
    const notNgrok: ResourcesApi = {
      listPage: (kind, cursor) => real.listPage(kind, cursor),
      create: (kind, body) => real.create(kind, body),
      update: (kind, id, body) => real.update(kind, id, body),
      delete: async (kind, id) => {
        if (kind === API_KEYS) throw Object.assign(new Error("not found (proxy)"), { status_code: 404, code: "ERR_NGROK_404" });
        return real.delete(kind, id);
      },
    };
    const done = await apply(null, notNgrok);
    expect(done.ok).toBe(false);
    expect(done.outcomes.find((o) => o.change.kind === "api_key")?.status).toBe("failed");
    expect(vault.has("api_keys/deploy")).toBe(true);
    expect((await real.listPage(API_KEYS, null)).items).toHaveLength(1);
  });

  it("a new public key replaces the SSH credential (ngrok cannot change it)", async () => {
    const { apply, plan } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const next = await plan(TREE.replace(KEY, sshKey()));
    expect(next.plan.changes.map((c) => `${c.kind}:${c.action}:${c.action === "replace" ? c.reason : ""}`)).toEqual(["ssh_credential:replace:public_key changed"]);
  });

  it("an SSH credential made twice (a create whose answer was lost): the younger is deleted as a duplicate, the oldest kept, nothing noted of a vault", async () => {
    const { client, apply, plan } = setup();
    expect((await apply(TREE)).ok).toBe(true);
    const real = new ResourceClient(client);
    const [first] = (await real.listPage(SSH_CREDENTIALS, null)).items;
    const again = await real.create(SSH_CREDENTIALS, { public_key: KEY, acl: first?.acl ?? [], metadata: first?.metadata ?? "", owner_id: first?.owner_id ?? "" });
    const next = (await plan(TREE)).plan;
    expect(next.changes.map((c) => `${c.kind}:${c.action}:${"id" in c ? c.id : ""}:${c.action === "delete" ? c.reason : ""}`)).toEqual([`ssh_credential:delete:${again.id}:duplicate`]);
    expect(next.notes).toEqual([]);
  });

  it("prevent_destroy refuses a new public key too: the replace would delete the SSH credential", async () => {
    const { apply, plan } = setup();
    const kept = TREE.replace("    acl: [bind:ssh.example.com]", "    acl: [bind:ssh.example.com]\n    prevent_destroy: true");
    expect((await apply(kept)).ok).toBe(true);
    const next = await plan(kept.replace(KEY, sshKey()));
    expect(next.plan.refusals.map((r) => `${r.code}:${r.name}`)).toEqual(["PREVENT_DESTROY:ssh_credentials/bastion"]);
  });
});

describe("adopting what exists (import:) and the API key's secret", () => {
  it("imports a service user, an API key and an SSH credential made by hand: marked, no new secret, then no changes", async () => {
    const { client, apply, plan, vault } = setup();
    const real = new ResourceClient(client);
    const user = await real.create(SERVICE_USERS, { name: "legacy" });
    const key = await real.create(API_KEYS, { description: "by hand" });
    const ssh = await real.create(SSH_CREDENTIALS, { public_key: KEY, acl: [] });
    const tree = [
      "service_users:",
      "  - name: ci",
      `    import: ${user.id}`,
      "api_keys:",
      "  - name: deploy",
      "    description: CI deploys",
      `    import: ${key.id}`,
      "ssh_credentials:",
      "  - name: bastion",
      `    import: ${ssh.id}`,
      `    public_key: ${KEY}`,
    ].join("\n");
    const adopt = await plan(tree);
    expect(adopt.plan.changes.map((c) => `${c.kind}:${c.action}:${c.name}`)).toEqual(["service_user:import:ci", "api_key:import:deploy", "ssh_credential:import:bastion"]);
    expect((await apply(tree)).ok).toBe(true);
    expect(vault.size).toBe(0);
    expect((await plan(tree)).plan.changes).toEqual([]);
    expect((await real.listPage(SERVICE_USERS, null)).items.map((u) => [u.id, u.name])).toEqual([[user.id, "ci [ngrok-gitops:test-owner]"]]);
    expect((await real.listPage(API_KEYS, null)).items.map((k) => [k.id, k.description])).toEqual([[key.id, "CI deploys"]]);
  });

  it("a minted API key is delivered once, and rotated with the grace rules of authtokens", async () => {
    const { intents, vault, client, apply } = setup();
    const tree = "api_keys:\n  - name: deploy\n    rotate_after: 1d\n    deliver:\n      - github_actions_secret: {repo: acme/site, name: NGROK_API_KEY}\n";
    expect((await apply(tree)).ok).toBe(true);
    const id = vault.get("api_keys/deploy")?.id ?? "";
    const kinds = kindsOf(tree);
    const base = { api: new ResourceClient(client), ownerId: OWNER, kinds, credentials: [], intents: await intents.list(), stored: new Map([["api_keys/deploy", id]]) };
    const fresh = await planKinds({ ...base, now: Date.now(), delivered: [] });
    expect(fresh.plan.deliveries).toEqual([{ action: "deliver", name: "api_keys/deploy", target: { kind: "repo", key: "acme/site:NGROK_API_KEY", repo: "acme/site", secret: "NGROK_API_KEY" } }]);
    const done = await planKinds({ ...base, now: Date.now(), delivered: [{ key: "acme/site:NGROK_API_KEY", name: "api_keys/deploy", id }] });
    expect(done.plan.deliveries).toEqual([]);
    const later = Date.now() + 2 * 86_400_000;
    const due = await planKinds({ ...base, now: later, rotationGraceMs: 3_600_000 });
    const rotate = due.plan.changes[0];
    expect(rotate?.action === "rotate" && rotate.kind === "api_key" ? [rotate.id, rotate.retireAt] : null).toEqual([id, new Date(later + 3_600_000).toISOString()]);
  });
});
