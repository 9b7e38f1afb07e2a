// Run scratch state in memory, kept as JSON text as a database would keep it: for the CLI (one process) and the bench.
import type { ChangeOutcome } from "../apply/types.js";
import type { OtherKindList } from "../desired/kind-types.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { Plan } from "../plan/types.js";
import type { SpecSource } from "../desired/types.js";
import type { RunScratch } from "./ports.js";
import { RunError } from "./errors.js";
import { parseRunState, type RunState } from "./state.js";

export class MemoryScratch implements RunScratch {
  state: string | null = null;
  sources = "[]";
  sourceKeys = "[]";
  readonly live = new Map<string, string>();
  /** The other kinds' listing, by list then id. */
  readonly kindLive = new Map<OtherKindList, Map<string, string>>();
  plan: string | null = null;
  readonly outcomes = new Map<string, string>();

  save(state: RunState): void {
    this.state = JSON.stringify(state);
  }

  /** The saved state, as a fresh process would read it. */
  load(): RunState | null {
    if (this.state === null) return null;
    const parsed = parseRunState(this.state);
    // One process wrote it moments ago: a state that does not read back is a defect, never "no run in progress".
    if (!parsed.ok) throw new RunError("RUN_INTERNAL", `internal: ${parsed.error}`);
    return parsed.state;
  }

  /** Forgets the run (the Durable Object does this once a run is recorded). */
  clear(): void {
    this.state = null;
    this.sources = "[]";
    this.sourceKeys = "[]";
    this.live.clear();
    this.kindLive.clear();
    this.plan = null;
    this.outcomes.clear();
  }

  saveSources(sources: readonly SpecSource[]): void {
    this.sources = JSON.stringify(sources);
    // As a database reads columns: the keys without the texts the SHAs name.
    this.sourceKeys = JSON.stringify(sources.map((source) => (source.sha ? { ...source, content: "" } : source)));
  }

  loadSources(): SpecSource[] {
    return JSON.parse(this.sources) as SpecSource[];
  }

  loadSourceKeys(): SpecSource[] {
    return JSON.parse(this.sourceKeys) as SpecSource[];
  }

  clearLive(): void {
    this.live.clear();
  }

  addLive(credentials: readonly Credential[]): void {
    for (const credential of credentials) this.live.set(credential.id, JSON.stringify(credential));
  }

  liveCount(): number {
    return this.live.size;
  }

  loadLive(range?: { offset: number; limit: number }): Credential[] {
    const rows = [...this.live.values()];
    return (range ? rows.slice(range.offset, range.offset + range.limit) : rows).map((json) => JSON.parse(json) as Credential);
  }

  clearKindLive(): void {
    this.kindLive.clear();
  }

  addKindLive(list: OtherKindList, items: readonly LiveResource[]): void {
    let rows = this.kindLive.get(list);
    if (!rows) this.kindLive.set(list, (rows = new Map()));
    for (const item of items) rows.set(item.id, JSON.stringify(item));
  }

  kindLiveCount(list: OtherKindList): number {
    return this.kindLive.get(list)?.size ?? 0;
  }

  loadKindLive(list: OtherKindList, range?: { offset: number; limit: number }): LiveResource[] {
    const rows = [...(this.kindLive.get(list)?.values() ?? [])];
    return (range ? rows.slice(range.offset, range.offset + range.limit) : rows).map((json) => JSON.parse(json) as LiveResource);
  }

  savePlan(plan: Plan): void {
    this.plan = JSON.stringify(plan);
  }

  loadPlan(): Plan {
    if (this.plan === null) throw new Error("internal: no plan stored for the run");
    return JSON.parse(this.plan) as Plan;
  }

  saveOutcome(round: number, index: number, outcome: ChangeOutcome): void {
    this.outcomes.set(`${round}:${index}`, JSON.stringify(outcome));
  }

  loadOutcomes(): { round: number; index: number; outcome: ChangeOutcome }[] {
    return [...this.outcomes.entries()]
      .map(([key, json]) => {
        const [round, index] = key.split(":").map(Number) as [number, number];
        return { round, index, outcome: JSON.parse(json) as ChangeOutcome };
      })
      .sort((a, b) => a.round - b.round || a.index - b.index);
  }
}
