// Small SQLite ledgers: intents, which token belongs to which credential, deliveries made, webhook ids, named state.
import type { OtherKindList } from "../desired/kind-types.js";
import type { Caller } from "../run/types.js";
import type { LimiterSnapshot } from "../ngrok/limiter-snapshot.js";
import type { IntentLog } from "../apply/types.js";
import type { DriftIssueState } from "../github/drift-issue.js";
import type { DeliveryRecord, Intent } from "../plan/types.js";
import { readJson, reviewedSchema, stateSchemas } from "./persisted.js";
import { daysAgo, now, str, strOrNull } from "./sql.js";

export class IntentTable implements IntentLog {
  constructor(private readonly sql: SqlStorage) {}
  async open(intent: Intent): Promise<void> {
    this.sql.exec("INSERT OR REPLACE INTO intents (nonce, name, opened_at) VALUES (?, ?, ?)", intent.nonce, intent.name, now());
  }
  async close(intent: Intent): Promise<void> {
    this.sql.exec("DELETE FROM intents WHERE nonce = ?", intent.nonce);
  }
  async list(): Promise<Intent[]> {
    return this.sql.exec("SELECT nonce, name FROM intents").toArray().map((row) => ({ nonce: str(row.nonce), name: str(row.name) }));
  }
}

/**
 * Which credential id each stored token belongs to. This table, not KV's eventually consistent listing, is the
 * authority the plan decides from; the sealed tokens themselves stay in the KV namespace.
 */
export class TokenIndex {
  constructor(private readonly sql: SqlStorage) {}
  /** False until filled once from KV (a deployment from before the index existed). */
  seeded(): boolean {
    return this.sql.exec("SELECT value FROM state WHERE key = 'token_index_seeded'").toArray().length > 0;
  }
  seed(entries: ReadonlyMap<string, string>): void {
    for (const [name, id] of entries) this.sql.exec("INSERT OR IGNORE INTO token_index (name, id, at) VALUES (?, ?, ?)", name, id, now());
    this.sql.exec("INSERT OR REPLACE INTO state (key, value) VALUES ('token_index_seeded', ?)", now());
  }
  set(name: string, id: string): void {
    this.sql.exec("INSERT OR REPLACE INTO token_index (name, id, at) VALUES (?, ?, ?)", name, id, now());
  }
  remove(name: string): void {
    this.sql.exec("DELETE FROM token_index WHERE name = ?", name);
  }
  ids(): Map<string, string> {
    return new Map(this.sql.exec("SELECT name, id FROM token_index").toArray().map((row) => [str(row.name), str(row.id)]));
  }
  /** The ids of these names, one lookup each: an apply batch needs its own, not every stored token's. */
  idsOf(names: readonly string[]): Map<string, string> {
    const ids = new Map<string, string>();
    for (const name of names) for (const row of this.sql.exec("SELECT id FROM token_index WHERE name = ?", name).toArray()) ids.set(name, str(row.id));
    return ids;
  }
}

/**
 * Where tokens were delivered: which target holds the token of which credential id, and GitHub's clock at our write
 * (how a later write by someone else is told apart, see delivery-guard.ts).
 */
export class DeliveredTable {
  constructor(private readonly sql: SqlStorage) {}
  list(): DeliveryRecord[] {
    return this.sql
      .exec("SELECT key, name, id, at, written_at FROM delivered")
      .toArray()
      .map((row) => ({ key: str(row.key), name: str(row.name), id: str(row.id), at: str(row.at), written_at: strOrNull(row.written_at) }));
  }
  record(record: DeliveryRecord): void {
    this.sql.exec("INSERT OR REPLACE INTO delivered (key, name, id, at, written_at) VALUES (?, ?, ?, ?, ?)", record.key, record.name, record.id, now(), record.written_at ?? null);
  }
  forget(key: string, name: string): void {
    this.sql.exec("DELETE FROM delivered WHERE key = ? AND name = ?", key, name);
  }
}

/** How many delivery ids WebhookIds keeps: the newest. */
export const WEBHOOK_IDS_KEPT = 10_000;

/** GitHub delivery ids seen, so a redelivered webhook does not run twice. Keeps the last WEBHOOK_IDS_KEPT. */
export class WebhookIds {
  constructor(private readonly sql: SqlStorage) {}
  remember(id: string): boolean {
    if (this.sql.exec("SELECT 1 FROM deliveries WHERE id = ?", id).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO deliveries (id, received_at) VALUES (?, ?)", id, now());
    // Rowids only grow here (a new row gets the largest, and only the oldest are ever deleted), so the rows older than
    // the newest WEBHOOK_IDS_KEPT are one range of the rowid index. Sorting the table by received_at for this cost
    // ~12 ms on every delivery once 10,000 ids were stored.
    this.sql.exec("DELETE FROM deliveries WHERE rowid <= (SELECT max(rowid) FROM deliveries) - ?", WEBHOOK_IDS_KEPT);
    return true;
  }
}

/** Named state, one typed accessor per key. */
export interface StateValues {
  last_applied: { sha: string; tree: string; at: string };
  drift: { detected: boolean; at: string | null; changes: number };
  drift_issue: DriftIssueState;
  last_pruned: string;
  /** How many invocations the active run has had, counted before each does any work (the core judges it: run/stall.ts). */
  run_attempts: { run: number; invocations: number };
  /** A run the operator cancelled while an invocation of it was under way: it ends when that invocation returns. */
  cancel_run: { run: number; actor: string; caller: Caller | null };
  /** The ngrok client's pacing window, carried between invocations and runs (one account, one window). */
  ngrok_limiter: LimiterSnapshot;
  /** The commit an apply held for want of reviews (the newest): cron plans the last applied state until it is superseded or released. */
  held: HeldCommit;
  /** review.approvals of the last applied commit's own policy (null: none): the standing rule a later commit is judged by too. */
  applied_review: { sha: string; approvals: number | null };
  /** Whether the last apply found review enforcement on (policy `review:`), for /healthz and /api/status. */
  reviews: { enforced: boolean; approvals: number | null; sha: string; at: string };
  /** `/ngrok-gitops allow-deletes` approvals, newest last: each lifts MAX_DELETES for the merge of that pull request at that head. */
  delete_approvals: DeleteApproval[];
  /** The kinds beside credentials this repository applied and may still hold ours of (RunPorts.kindsApplied). */
  kinds_applied: OtherKindList[];
}

export interface DeleteApproval {
  pr: number;
  /** The pull request's head when the command was given: a merge of any other head is not approved. */
  sha: string;
  actor: string;
  at: string;
}

export interface HeldCommit {
  sha: string;
  at: string;
  pr: number | null;
  reasons: string[];
  missing: { name: string; file: string; owners: string[] }[];
}

/** A schema for every key: a key added to StateValues without one does not compile. */
const STATE_SCHEMAS: { readonly [K in keyof StateValues]: (typeof stateSchemas)[keyof typeof stateSchemas] } = stateSchemas;

export class NamedState {
  constructor(private readonly sql: SqlStorage) {}
  get<K extends keyof StateValues>(key: K): StateValues[K] | null {
    const row = this.sql.exec("SELECT value FROM state WHERE key = ?", key).toArray()[0];
    const text = row ? str(row.value) : "";
    return text ? readJson<StateValues[K]>(STATE_SCHEMAS[key], text, { table: "state", key }) : null;
  }
  set<K extends keyof StateValues>(key: K, value: StateValues[K] | null): void {
    this.sql.exec("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value === null ? "" : JSON.stringify(value));
  }
  /** What a pull request's plan showed for a credentials/ tree, so the apply after the merge can compare. */
  reviewed(tree: string): { pr: number; sha: string; fingerprint: string } | null {
    const row = this.sql.exec("SELECT value FROM state WHERE key = ?", `reviewed:${tree}`).toArray()[0];
    return row ? readJson<{ pr: number; sha: string; fingerprint: string }>(reviewedSchema, str(row.value), { table: "state", key: `reviewed:${tree}` }) : null;
  }
  setReviewed(tree: string, value: { pr: number; sha: string; fingerprint: string }): void {
    this.sql.exec("INSERT OR REPLACE INTO state (key, value, at) VALUES (?, ?, ?)", `reviewed:${tree}`, JSON.stringify(value), now());
  }
  /** The id of pull request `pr`'s sticky plan comment, once written: found again without scanning its comments. */
  planComment(pr: number): number | null {
    const row = this.sql.exec("SELECT value FROM state WHERE key = ?", `plan_comment:${pr}`).toArray()[0];
    const id = row ? Number(str(row.value)) : NaN;
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  }
  setPlanComment(pr: number, id: number): void {
    this.sql.exec("INSERT OR REPLACE INTO state (key, value, at) VALUES (?, ?, ?)", `plan_comment:${pr}`, String(id), now());
  }
  /** Drops the reviewed plans and plan comment ids not written for `days` (a later plan writes them again). */
  prune(days: number): void {
    this.sql.exec("DELETE FROM state WHERE (key GLOB 'reviewed:*' OR key GLOB 'plan_comment:*') AND (at IS NULL OR at < ?)", daysAgo(days));
  }
}
