// Mixed-kind rows of the bench (issue 27 item 6): service users, API keys and SSH credentials applied from empty and re-planned; calls against the lower bound per kind, plan CPU.
import { generateKeyPairSync } from "node:crypto";
import { MemoryIntentLog } from "../src/apply/memory-intents.js";
import { loadSpecs } from "../src/desired/load.js";
import type { OtherKindList } from "../src/desired/kind-types.js";
import { applyKinds } from "../src/kinds/apply.js";
import { listKinds, planKinds } from "../src/kinds/plan-kinds.js";
import { NgrokClient } from "../src/ngrok/client.js";
import { ResourceClient } from "../src/ngrok/resources.js";
import { diffKinds } from "../src/plan/kinds-diff.js";
import { createEmulator } from "../standins/ngrok/app.js";

export interface KindsCaseResult {
  kind: "kinds";
  n: number;
  counts: Record<OtherKindList, number>;
  /** Calls of the apply from empty and of the plan after it, with their lower bounds (pages per kind used, one create each). */
  apply_calls: number;
  apply_lower_bound: number;
  plan_calls: number;
  plan_lower_bound: number;
  /** Median CPU of the kinds' diff over the live listing of all n, in ms (the machine is shared: best beside it). */
  plan_cpu_ms: number;
  plan_cpu_best_ms: number;
  /** Median CPU of one bare pass over the same listing (each metadata JSON.parse'd into a Map), the credentials' floor. */
  plan_floor_ms: number;
  converged: boolean;
}

function sshKey(): string {
  const x = Buffer.from(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(x)]).toString("base64")}`;
}

/** The bench's tree of n resources: a tenth service users, the rest API keys and SSH credentials half and half, each owned by a service user. */
export function kindsTree(n: number) {
  const counts = { service_users: Math.max(1, Math.floor(n / 10)), api_keys: 0, ssh_credentials: 0 };
  counts.api_keys = Math.floor((n - counts.service_users) / 2);
  counts.ssh_credentials = n - counts.service_users - counts.api_keys;
  const key = sshKey();
  const lines = ["service_users:"];
  for (let i = 0; i < counts.service_users; i++) lines.push(`  - name: su-${i}`);
  lines.push("api_keys:");
  for (let i = 0; i < counts.api_keys; i++) lines.push(`  - name: key-${i}`, `    owner: su-${i % counts.service_users}`);
  lines.push("ssh_credentials:");
  for (let i = 0; i < counts.ssh_credentials; i++) lines.push(`  - name: ssh-${i}`, `    owner: su-${i % counts.service_users}`, `    public_key: ${key}`);
  const loaded = loadSpecs([{ path: "credentials/mixed.yaml", content: lines.join("\n") }], { ownerId: "bench" });
  if (!loaded.ok) throw new Error("bench specs do not validate");
  return { counts, loaded };
}

/** The tree applied from empty to an emulator: the client, the vault and the intents it left. */
export async function appliedKinds(n: number) {
  const { counts, loaded } = kindsTree(n);
  const emulator = createEmulator({ rateLimit: "off", maxConcurrent: "off" });
  const client = new NgrokClient({ baseUrl: "http://emulator.bench", apiKey: "bench", fetch: (request) => emulator.fetch(request), rateLimit: "off" });
  const api = new ResourceClient(client);
  const vault = new Map<string, string>();
  const intents = new MemoryIntentLog();
  const keeper = { store: async (name: string, id: string) => void vault.set(name, id), remove: async (name: string) => void vault.delete(name) };
  const input = () => ({ api, ownerId: "bench", kinds: loaded.kinds, credentials: [], stored: new Map(vault), now: Date.now() });
  client.resetStats();
  const first = await planKinds({ ...input(), intents: await intents.list() });
  const applied = await applyKinds(first.plan, { api, vault: keeper, intents, stored: new Map(vault), owners: first.owners });
  const apply_calls = client.stats.requests;
  if (!applied.ok) throw new Error("bench apply failed");
  return { counts, loaded, client, api, vault, intents, input, apply_calls };
}

export async function runKindsCase(n: number, reps = 5): Promise<KindsCaseResult> {
  const { counts, loaded, client, api, vault, intents, input, apply_calls } = await appliedKinds(n);
  const pages = (items: number) => Math.max(1, Math.ceil(items / 100));

  client.resetStats();
  const again = await planKinds({ ...input(), intents: await intents.list() });
  const plan_calls = client.stats.requests;

  const listing = await listKinds(api, ["service_users", "api_keys", "ssh_credentials"]);
  const times: number[] = [];
  const floors: number[] = [];
  const all = Object.values(listing.live).flat();
  // The first runs pay for compiling the diff; the median of the runs after them is the steady cost. Small N warm up
  // over about as many items as 10,000 do in three runs (a Durable Object's isolate runs its diff warm).
  const warmups = Math.max(3, Math.ceil(30_000 / n));
  const stored: ReadonlyMap<string, string> = new Map(vault);
  for (let i = 0; i < reps + warmups; i++) {
    const started = process.cpuUsage();
    diffKinds({ ownerId: "bench", kinds: loaded.kinds, live: listing.live, stored, intents: [], now: Date.now() });
    const used = process.cpuUsage(started);
    if (i >= warmups) times.push((used.user + used.system) / 1000);
    const bare = process.cpuUsage();
    const seen = new Map<string, unknown>();
    for (const item of all) seen.set(item.id, item.metadata ? (JSON.parse(item.metadata) as unknown) : item.name);
    const pass = process.cpuUsage(bare);
    if (i >= warmups) floors.push((pass.user + pass.system) / 1000);
  }
  times.sort((a, b) => a - b);
  floors.sort((a, b) => a - b);
  return {
    kind: "kinds",
    n,
    counts,
    apply_calls,
    apply_lower_bound: 3 + n,
    plan_calls,
    plan_lower_bound: pages(counts.service_users) + pages(counts.api_keys) + pages(counts.ssh_credentials),
    plan_cpu_ms: times[Math.floor(times.length / 2)] ?? 0,
    plan_cpu_best_ms: times[0] ?? 0,
    plan_floor_ms: floors[Math.floor(floors.length / 2)] ?? 0,
    converged: again.plan.changes.length === 0,
  };
}

export function renderKinds(rows: readonly KindsCaseResult[], target: (n: number) => number | null): string[] {
  if (rows.length === 0) return [];
  const out = ["", "Mixed kinds (service users, API keys, SSH credentials), apply from empty then plan:", "  N       apply calls / floor   plan calls / floor   plan CPU ms median, best (target)   floor ms   median/floor"];
  for (const r of rows) {
    const t = target(r.n);
    out.push(`  ${String(r.n).padEnd(7)} ${`${r.apply_calls} / ${r.apply_lower_bound}`.padEnd(21)} ${`${r.plan_calls} / ${r.plan_lower_bound}`.padEnd(20)} ${`${r.plan_cpu_ms.toFixed(1)}, ${r.plan_cpu_best_ms.toFixed(1)}${t === null ? "" : ` (${t})`}`.padEnd(34)} ${r.plan_floor_ms.toFixed(1).padEnd(10)} ${(r.plan_cpu_ms / Math.max(r.plan_floor_ms, 0.001)).toFixed(1)}×`);
  }
  return out;
}
