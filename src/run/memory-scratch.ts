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
  /** A row of JSON per file, as the Durable Object's run_sources: appending one does not copy the others. */
  readonly sources: string[] = [];
  readonly sourceKeys: string[] = [];
  /** The listing as rows in listing order, and each id's row (a credential listed again replaces its row in place). */
  readonly live: string[] = [];
  readonly #liveAt = new Map<string, number>();
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
    this.sources.length = 0;
    this.sourceKeys.length = 0;
    this.clearLive();
    this.kindLive.clear();
    this.plan = null;
    this.text = [];
    this.outcomes.clear();
  }

  saveSources(sources: readonly SpecSource[], options: { append?: boolean } = {}): void {
    if (!options.append) (this.sources.length = 0), (this.sourceKeys.length = 0);
    for (const source of sources) {
      this.sources.push(JSON.stringify(source));
      // As a database reads columns: the keys without the texts the SHAs name.
      this.sourceKeys.push(JSON.stringify(source.sha ? { ...source, content: "" } : source));
    }
  }

  loadSources(): SpecSource[] {
    return this.sources.map((json) => JSON.parse(json) as SpecSource);
  }

  loadSourceKeys(): SpecSource[] {
    return this.sourceKeys.map((json) => JSON.parse(json) as SpecSource);
  }

  clearLive(): void {
    this.live.length = 0;
    this.#liveAt.clear();
  }

  addLive(credentials: readonly Credential[]): void {
    for (const credential of credentials) {
      const json = JSON.stringify(credential);
      const at = this.#liveAt.get(credential.id);
      if (at === undefined) this.#liveAt.set(credential.id, this.live.push(json) - 1);
      else this.live[at] = json;
    }
  }

  liveCount(): number {
    return this.live.length;
  }

  /** A range of rows is read without copying the others (a slice of the diff used to copy the whole listing). */
  loadLive(range?: { offset: number; limit: number }): Credential[] {
    return (range ? this.live.slice(range.offset, range.offset + range.limit) : this.live).map((json) => JSON.parse(json) as Credential);
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
