// Run scratch state in memory, kept as JSON text as a database would keep it: for the CLI (one process) and the bench.
import type { ChangeOutcome } from "../apply/types.js";
import type { OtherKindList } from "../desired/kind-types.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { Delivery, Plan, PlanChange } from "../plan/types.js";
import type { SpecSource } from "../desired/types.js";
import { planHead } from "./plan-order.js";
import type { PlanHead, RunScratch } from "./ports.js";
import { RunError } from "./errors.js";
import { parseRunState, type RunState } from "./state.js";

export class MemoryScratch implements RunScratch {
  state: string | null = null;
  sources = "[]";
  sourceKeys = "[]";
  readonly live = new Map<string, string>();
  /** The other kinds' listing, by list then id. */
  readonly kindLive = new Map<OtherKindList, Map<string, string>>();
  /** The plan as a database keeps it: its head, the rest without its rows, then one JSON text per change and per delivery. */
  plan: { head: string; meta: string; changes: string[]; deliveries: string[] } | null = null;
  /** plan_text's pieces: the text, the changes it covers, its bytes. */
  text: { text: string; changes: number; bytes: number }[] = [];
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
    this.text = [];
    this.outcomes.clear();
  }

  saveSources(sources: readonly SpecSource[], options: { append?: boolean } = {}): void {
    const joined = (before: string, json: string) => (options.append && before !== "[]" ? (json === "[]" ? before : `${before.slice(0, -1)},${json.slice(1)}`) : json);
    this.sources = joined(this.sources, JSON.stringify(sources));
    // As a database reads columns: the keys without the texts the SHAs name.
    this.sourceKeys = joined(this.sourceKeys, JSON.stringify(sources.map((source) => (source.sha ? { ...source, content: "" } : source))));
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
    const rows = (items: readonly unknown[]) => items.map((item) => JSON.stringify(item));
    this.text = [];
    this.plan = { head: JSON.stringify(planHead(plan)), meta: JSON.stringify({ ...plan, changes: [], deliveries: [] }), changes: rows(plan.changes), deliveries: rows(plan.deliveries) };
  }

  loadPlan(): Plan {
    return { ...this.loadPlanMeta(), changes: this.#plan().changes.map((json) => JSON.parse(json) as PlanChange) };
  }

  loadPlanMeta(): Plan {
    const plan = this.#plan();
    return { ...(JSON.parse(plan.meta) as Plan), deliveries: plan.deliveries.map((json) => JSON.parse(json) as Delivery) };
  }

  loadPlanHead(): PlanHead {
    return JSON.parse(this.#plan().head) as PlanHead;
  }

  loadChanges(range: { offset: number; limit: number }): PlanChange[] {
    return this.#plan().changes.slice(range.offset, range.offset + range.limit).map((json) => JSON.parse(json) as PlanChange);
  }

  loadDeliveries(range: { offset: number; limit: number }): Delivery[] {
    return this.#plan().deliveries.slice(range.offset, range.offset + range.limit).map((json) => JSON.parse(json) as Delivery);
  }

  saveDeliveries(deliveries: readonly Delivery[]): void {
    const plan = this.#plan();
    if (deliveries.length !== plan.deliveries.length) throw new Error("internal: the deliveries replaced are not the plan's");
    plan.deliveries = deliveries.map((delivery) => JSON.stringify(delivery));
  }

  #plan(): NonNullable<MemoryScratch["plan"]> {
    if (this.plan === null) throw new Error("internal: no plan stored for the run");
    return this.plan;
  }

  appendPlanText(text: string, changes: number, bytes: number): void {
    this.text.push({ text, changes, bytes });
  }

  planTextProgress(): { changes: number; bytes: number } {
    return this.text.reduce((sum, piece) => ({ changes: sum.changes + piece.changes, bytes: sum.bytes + piece.bytes }), { changes: 0, bytes: 0 });
  }

  loadPlanText(): string {
    return this.text.map((piece) => piece.text).join("");
  }

  saveOutcome(round: number, index: number, outcome: ChangeOutcome): void {
    this.outcomes.set(`${round}:${index}`, JSON.stringify(outcome));
  }

  loadOutcomes(range?: { round: number; offset: number; limit: number }): { round: number; index: number; outcome: ChangeOutcome }[] {
    const keys = range ? Array.from({ length: range.limit }, (_, i) => `${range.round}:${range.offset + i}`).filter((key) => this.outcomes.has(key)) : [...this.outcomes.keys()];
    return keys
      .map((key) => [key, this.outcomes.get(key) as string] as const)
      .map(([key, json]) => {
        const [round, index] = key.split(":").map(Number) as [number, number];
        return { round, index, outcome: JSON.parse(json) as ChangeOutcome };
      })
      .sort((a, b) => a.round - b.round || a.index - b.index);
  }
}
