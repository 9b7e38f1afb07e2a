// Bench fixtures: a realistic fleet of N credential specs, the account state that matches it, and k changes to it as YAML files.
import type { SeedCredential } from "../standins/ngrok/app.js";
import { encodeMetadata, type UserMetadata } from "../src/ownership/marker.js";
import type { SpecSource } from "../src/desired/types.js";

/** Specs per generated file, as a team would split a large fleet. */
export const SPECS_PER_FILE = 100;

const TEAMS = ["payments", "search", "platform", "data", "mobile", "edge", "identity", "growth"];
const ENVS = ["prod", "staging", "dev"];
const REGIONS = ["us", "eu", "ap"];

/** One credential as a spec says it (before it is written as YAML). */
export interface FleetSpec {
  name: string;
  description: string;
  metadata: { [key: string]: string | number | boolean };
  /** 1–3 bind rules. */
  acl: string[];
  preventDestroy: boolean;
}

export function specName(index: number): string {
  return `svc-${String(index).padStart(5, "0")}`;
}

/** The spec of credential `index`: deterministic, so the seeded account and the YAML agree. */
export function fleetSpec(index: number): FleetSpec {
  const name = specName(index);
  const team = TEAMS[index % TEAMS.length] ?? "platform";
  const env = ENVS[index % ENVS.length] ?? "prod";
  const region = REGIONS[Math.floor(index / 3) % REGIONS.length] ?? "us";
  const acl = [`bind:${name}.${env}.example.com`];
  if (index % 3 !== 0) acl.push(`bind:*.${name}.${env}.example.com`);
  if (index % 3 === 2) acl.push(`bind:team=${team}`);
  return {
    name,
    description: `${team} agent ${index} in ${region}-${env}: tunnels for ${name}`,
    metadata: { team, env, region, "cost-center": `eng-${10 + (index % 40)}`, oncall: index % 2 === 0 },
    acl,
    // A few protected ones, as a real fleet has; they are never chosen for deletion.
    preventDestroy: index % 25 === 7,
  };
}

/** The changes a case applies: creates, updates and deletes, with the indexes they touch. */
export interface ChangeMix {
  creates: number;
  updates: number;
  deletes: number;
}

/** k changes as about 40 % creates, 30 % updates, 30 % deletes (k = 1 is one update). */
export function changeMix(k: number): ChangeMix {
  const creates = Math.round(k * 0.4);
  const deletes = Math.round(k * 0.3);
  return { creates, updates: k - creates - deletes, deletes };
}

export interface Fleet {
  /** What the account holds before the run (all managed by ownerId). */
  before: FleetSpec[];
  /** What the spec files say: `before` with the changes applied. */
  after: FleetSpec[];
  mix: ChangeMix;
}

/**
 * N managed credentials and the desired state after k changes. Updates touch one field each, in turn
 * description, metadata and ACL (each is one PATCH); deletes drop unprotected specs; creates add new names.
 */
export function makeFleet(n: number, k: number): Fleet {
  const before = Array.from({ length: n }, (_, i) => fleetSpec(i));
  const mix = changeMix(k);
  if (mix.updates + mix.deletes > n) throw new Error(`cannot change ${k} of ${n} credentials`);
  // Spread the touched credentials over the whole fleet (and so over many files and list pages).
  const stride = Math.max(1, Math.floor(n / Math.max(1, mix.updates + mix.deletes)));
  const touched: number[] = [];
  for (let i = 0; touched.length < mix.updates + mix.deletes && i < n * 2; i++) {
    const index = (i * stride + Math.floor(stride / 2)) % n;
    if (!touched.includes(index) && !(before[index]?.preventDestroy ?? false)) touched.push(index);
  }
  if (touched.length < mix.updates + mix.deletes) throw new Error(`could not pick ${mix.updates + mix.deletes} credentials to change`);
  const updated = new Set(touched.slice(0, mix.updates));
  const deleted = new Set(touched.slice(mix.updates));
  const after: FleetSpec[] = [];
  let turn = 0;
  for (const [index, spec] of before.entries()) {
    if (deleted.has(index)) continue;
    if (!updated.has(index)) {
      after.push(spec);
      continue;
    }
    const kind = turn++ % 3;
    if (kind === 0) after.push({ ...spec, description: `${spec.description} (moved to new hosts)` });
    else if (kind === 1) after.push({ ...spec, metadata: { ...spec.metadata, "cost-center": "eng-99" } });
    else after.push({ ...spec, acl: [...spec.acl, "bind:*.canary.example.com"] });
  }
  for (let i = 0; i < mix.creates; i++) after.push(fleetSpec(n + i));
  return { before, after, mix };
}

/** The seed for the emulator: each credential carries our ownership marker, so it is managed. */
export function seedFor(specs: readonly FleetSpec[], ownerId: string): SeedCredential[] {
  return specs.map((spec) => ({
    description: spec.description,
    metadata: encodeMetadata(spec.metadata as UserMetadata, { owner: ownerId, name: spec.name, ...(spec.preventDestroy ? { protect: true as const } : {}) }),
    acl: [...spec.acl],
  }));
}

/**
 * credentials/bench-XXX.yaml files, written the way people write them: each credential stays in its file
 * (file = its number / SPECS_PER_FILE), so a deleted spec changes only its own file, as in a real repository,
 * instead of shifting every later spec into the next file.
 */
export function specSources(specs: readonly FleetSpec[]): SpecSource[] {
  const groups = new Map<number, FleetSpec[]>();
  for (const spec of specs) {
    const file = Math.floor(Number.parseInt(spec.name.slice("svc-".length), 10) / SPECS_PER_FILE);
    const group = groups.get(file);
    if (group) group.push(spec);
    else groups.set(file, [spec]);
  }
  const sources: SpecSource[] = [];
  for (const [file, group] of [...groups].sort(([a], [b]) => a - b)) {
    const lines = [
      "# yaml-language-server: $schema=../schema/credentials.schema.json",
      `# Bench fleet, part ${file + 1}.`,
      "credentials:",
    ];
    for (const spec of group) {
      lines.push(`  - name: ${spec.name}`);
      lines.push(`    description: ${JSON.stringify(spec.description)}`);
      lines.push(`    metadata: {${Object.entries(spec.metadata).map(([key, value]) => `${key}: ${String(value)}`).join(", ")}}`);
      lines.push("    acl:");
      for (const rule of spec.acl) lines.push(`      - ${rule.includes("*") ? JSON.stringify(rule) : rule}`);
      if (spec.preventDestroy) lines.push("    prevent_destroy: true");
      lines.push("");
    }
    sources.push({ path: `credentials/bench-${String(file).padStart(3, "0")}.yaml`, content: lines.join("\n") });
  }
  return sources;
}
