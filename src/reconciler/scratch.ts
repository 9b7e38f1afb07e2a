// The run in progress in SQLite (the core's RunScratch port): its versioned state, spec sources, live listing, plan and outcomes.
// Values that can outgrow SQLite's 2 MB (the state, the plan without its rows) are stored in pieces; the plan's changes and deliveries are a row each.
import type { ChangeOutcome } from "../apply/types.js";
import type { OtherKindList } from "../desired/kind-types.js";
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import type { Delivery, Plan } from "../plan/types.js";
import { planHead } from "../run/plan-order.js";
import type { PlanHead, RunScratch } from "../run/ports.js";
import { parseRunState, type ParsedRunState, type RunState } from "../run/state.js";
import type { SpecSource } from "../desired/types.js";
import { changeOutcomeSchema, changeSchema, deliverySchema, kindLiveSchema, liveSchema, planHeadSchema, planMetaSchema, readJson } from "./persisted.js";
import { MAX_VALUE_BYTES, num, str, strOrNull } from "./sql.js";

/** The tables that hold only the run in progress: cleared when it ends. */
export const SCRATCH_TABLES = ["run_sources", "run_live", "run_kind_live", "run_changes", "run_deliveries", "run_text", "run_results"] as const;

export class SqlRunScratch implements RunScratch {
  constructor(private readonly sql: SqlStorage) {}

  save(state: RunState): void {
    this.#set("active", JSON.stringify(state));
  }

  /** The run in progress; a state that fails validation is dropped (see ReconcilerStorage.active for its run). */
  load(): RunState | null {
    const read = this.read();
    return read?.ok ? read.state : null;
  }

  /** The run in progress as stored, or why it cannot be resumed (the scratch is then cleared); null: none. */
  read(): ParsedRunState | null {
    const text = this.#get("active");
    if (text === null) return null;
    const parsed = parseRunState(text);
    if (!parsed.ok) this.clear();
    return parsed;
  }

  clear(): void {
    this.sql.exec("DELETE FROM state WHERE key IN ('active', 'active_plan', 'active_plan_head') OR key GLOB 'active#*' OR key GLOB 'active_plan#*'");
    for (const table of SCRATCH_TABLES) this.sql.exec(`DELETE FROM ${table}`);
  }

  saveSources(sources: readonly SpecSource[], options: { append?: boolean } = {}): void {
    if (!options.append) this.sql.exec("DELETE FROM run_sources");
    for (const source of sources) this.sql.exec("INSERT OR REPLACE INTO run_sources (path, content, sha) VALUES (?, ?, ?)", source.path, source.content, source.sha ?? null);
  }

  loadSources(): SpecSource[] {
    return this.sql
      .exec("SELECT path, content, sha FROM run_sources ORDER BY path")
      .toArray()
      .map((row) => {
        const sha = strOrNull(row.sha);
        return sha ? { path: str(row.path), content: str(row.content), sha } : { path: str(row.path), content: str(row.content) };
      });
  }

  loadSourceKeys(): SpecSource[] {
    return this.sql
      .exec("SELECT path, CASE WHEN sha IS NULL THEN content ELSE '' END AS content, sha FROM run_sources ORDER BY path")
      .toArray()
      .map((row) => {
        const sha = strOrNull(row.sha);
        return sha ? { path: str(row.path), content: str(row.content), sha } : { path: str(row.path), content: str(row.content) };
      });
  }

  clearLive(): void {
    this.sql.exec("DELETE FROM run_live");
  }

  addLive(credentials: readonly Credential[]): void {
    for (const credential of credentials) this.sql.exec("INSERT OR REPLACE INTO run_live (id, json) VALUES (?, ?)", credential.id, JSON.stringify(credential));
  }

  liveCount(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM run_live").one().n);
  }

  loadLive(range?: { offset: number; limit: number }): Credential[] {
    const rows = range ? this.sql.exec("SELECT id, json FROM run_live ORDER BY id LIMIT ? OFFSET ?", range.limit, range.offset) : this.sql.exec("SELECT id, json FROM run_live");
    return rows.toArray().map((row) => readJson<Credential>(liveSchema, str(row.json), { table: "run_live", key: str(row.id) }));
  }

  clearKindLive(): void {
    this.sql.exec("DELETE FROM run_kind_live");
  }

  addKindLive(list: OtherKindList, items: readonly LiveResource[]): void {
    for (const item of items) this.sql.exec("INSERT OR REPLACE INTO run_kind_live (list, id, json) VALUES (?, ?, ?)", list, item.id, JSON.stringify(item));
  }

  kindLiveCount(list: OtherKindList): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM run_kind_live WHERE list = ?", list).one().n);
  }

  loadKindLive(list: OtherKindList, range?: { offset: number; limit: number }): LiveResource[] {
    const rows = range ? this.sql.exec("SELECT id, json FROM run_kind_live WHERE list = ? ORDER BY id LIMIT ? OFFSET ?", list, range.limit, range.offset) : this.sql.exec("SELECT id, json FROM run_kind_live WHERE list = ? ORDER BY id", list);
    return rows.toArray().map((row) => readJson<LiveResource>(kindLiveSchema, str(row.json), { table: "run_kind_live", key: `${list}/${str(row.id)}` }));
  }

  /**
   * One row per change and per delivery: a plan for thousands of credentials outgrows a single value, and the apply
   * and deliver stages read only the rows they need, with the head. Outcomes of earlier rounds stay.
   */
  savePlan(plan: Plan): void {
    this.sql.exec("DELETE FROM run_changes");
    this.sql.exec("DELETE FROM run_deliveries");
    this.sql.exec("DELETE FROM run_text");
    plan.changes.forEach((change, idx) => this.sql.exec("INSERT INTO run_changes (idx, json) VALUES (?, ?)", idx, JSON.stringify(change)));
    plan.deliveries.forEach((delivery, idx) => this.sql.exec("INSERT INTO run_deliveries (idx, json) VALUES (?, ?)", idx, JSON.stringify(delivery)));
    this.#set("active_plan", JSON.stringify({ ...plan, changes: [], deliveries: [] }));
    this.#set("active_plan_head", JSON.stringify(planHead(plan)));
  }

  loadPlan(): Plan {
    return { ...this.loadPlanMeta(), changes: this.loadChanges({ offset: 0, limit: this.loadPlanHead().changes }) };
  }

  loadPlanMeta(): Plan {
    const meta = this.#get("active_plan");
    if (meta === null) throw new Error("internal: no plan stored for the active run");
    return { ...readJson<Plan>(planMetaSchema, meta, { table: "state", key: "active_plan" }), deliveries: this.loadDeliveries({ offset: 0, limit: this.loadPlanHead().deliveries }) };
  }

  loadPlanHead(): PlanHead {
    const head = this.#get("active_plan_head");
    if (head === null) throw new Error("internal: no plan stored for the active run");
    return readJson<PlanHead>(planHeadSchema, head, { table: "state", key: "active_plan_head" });
  }

  loadChanges(range: { offset: number; limit: number }): Plan["changes"] {
    return this.sql
      .exec("SELECT idx, json FROM run_changes WHERE idx >= ? ORDER BY idx LIMIT ?", range.offset, range.limit)
      .toArray()
      .map((row) => readJson<Plan["changes"][number]>(changeSchema, str(row.json), { table: "run_changes", key: String(num(row.idx)) }));
  }

  loadDeliveries(range: { offset: number; limit: number }): Delivery[] {
    return this.sql
      .exec("SELECT idx, json FROM run_deliveries WHERE idx >= ? ORDER BY idx LIMIT ?", range.offset, range.limit)
      .toArray()
      .map((row) => readJson<Delivery>(deliverySchema, str(row.json), { table: "run_deliveries", key: String(num(row.idx)) }));
  }

  saveDeliveries(deliveries: readonly Delivery[]): void {
    deliveries.forEach((delivery, idx) => this.sql.exec("UPDATE run_deliveries SET json = ? WHERE idx = ?", JSON.stringify(delivery), idx));
  }

  appendPlanText(text: string, changes: number, bytes: number): void {
    this.sql.exec("INSERT INTO run_text (idx, text, changes, bytes) VALUES ((SELECT COALESCE(MAX(idx), -1) + 1 FROM run_text), ?, ?, ?)", text, changes, bytes);
  }

  planTextProgress(): { changes: number; bytes: number } {
    const row = this.sql.exec("SELECT COALESCE(SUM(changes), 0) AS changes, COALESCE(SUM(bytes), 0) AS bytes FROM run_text").one();
    return { changes: num(row.changes), bytes: num(row.bytes) };
  }

  loadPlanText(): string {
    return this.sql
      .exec("SELECT text FROM run_text ORDER BY idx")
      .toArray()
      .map((row) => str(row.text))
      .join("");
  }

  saveOutcome(round: number, index: number, outcome: ChangeOutcome): void {
    this.sql.exec("INSERT OR REPLACE INTO run_results (round, idx, json) VALUES (?, ?, ?)", round, index, JSON.stringify(outcome));
  }

  loadOutcomes(range?: { round: number; offset: number; limit: number }): { round: number; index: number; outcome: ChangeOutcome }[] {
    const rows = range
      ? this.sql.exec("SELECT round, idx, json FROM run_results WHERE round = ? AND idx >= ? AND idx < ? ORDER BY idx", range.round, range.offset, range.offset + range.limit)
      : this.sql.exec("SELECT round, idx, json FROM run_results ORDER BY round, idx");
    return rows
      .toArray()
      .map((row) => ({ round: num(row.round), index: num(row.idx), outcome: readJson<ChangeOutcome>(changeOutcomeSchema, str(row.json), { table: "run_results", key: `${num(row.round)}.${num(row.idx)}` }) }));
  }

  /** A value of any length: in pieces of at most PIECE units (each under SQLite's 2 MB in UTF-8), `key`, `key#1`, …. */
  #get(key: string): string | null {
    const rows = this.sql.exec("SELECT key, value FROM state WHERE key = ? OR key GLOB ?", key, `${key}#*`).toArray();
    const first = rows.find((row) => str(row.key) === key);
    if (!first) return null;
    const rest = rows.filter((row) => row !== first).map((row) => ({ n: Number(str(row.key).slice(key.length + 1)), value: str(row.value) }));
    return str(first.value) + rest.sort((a, b) => a.n - b.n).map((piece) => piece.value).join("");
  }

  #set(key: string, value: string): void {
    this.sql.exec("DELETE FROM state WHERE key GLOB ?", `${key}#*`);
    const pieces = splitPieces(value);
    pieces.forEach((piece, n) => this.sql.exec("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", n === 0 ? key : `${key}#${n}`, piece));
  }
}

/** UTF-16 units per stored piece: at most 3 bytes each in UTF-8, so a piece stays under MAX_VALUE_BYTES. */
const PIECE = Math.floor(MAX_VALUE_BYTES / 3) - 1024;

/** `value` in pieces of at most PIECE units, never splitting a surrogate pair (a lone half would not survive UTF-8). */
function splitPieces(value: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  do {
    let end = Math.min(value.length, start + PIECE);
    const code = value.charCodeAt(end - 1);
    if (end < value.length && code >= 0xd800 && code <= 0xdbff) end--;
    pieces.push(value.slice(start, end));
    start = end;
  } while (start < value.length);
  return pieces;
}
