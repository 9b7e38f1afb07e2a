// The audit log: append-only entries for runs, changes, deliveries, token reads and key rotations; pruned by age.
import type { ChangeOutcome } from "../apply/types.js";
import type { NgrokCall } from "../ngrok/client.js";
import type { DeliveryResult, RunState } from "../run/state.js";
import type { RunRequest } from "../run/types.js";
import type { AuditEntry, AuditQuery } from "./types.js";
import { auditDetailSchema, readJson } from "./persisted.js";
import { capJson, daysAgo, DETAIL_MAX_BYTES, now, num, numOrNull, str, strOrNull, type Row } from "./sql.js";

export class AuditTable {
  constructor(private readonly sql: SqlStorage) {}

  append(entry: Omit<AuditEntry, "id" | "at">): void {
    this.sql.exec(
      "INSERT INTO audit (at, run_id, kind, cause, sha, delivery, actor, name, action, result, operation_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      now(),
      entry.run_id,
      entry.kind,
      entry.cause,
      entry.sha,
      entry.delivery,
      entry.actor,
      entry.name,
      entry.action,
      entry.result,
      entry.operation_id,
      capJson(entry.detail, DETAIL_MAX_BYTES),
    );
  }

  query(query: AuditQuery): { entries: AuditEntry[]; next_before: number | null } {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (query.name) (where.push("name = ?"), args.push(query.name));
    if (query.sha) (where.push("(sha = ? OR sha LIKE ?)"), args.push(query.sha, `${query.sha}%`));
    if (query.kind) (where.push("kind = ?"), args.push(query.kind));
    if (query.since) (where.push("at >= ?"), args.push(query.since));
    if (query.until) (where.push("at < ?"), args.push(query.until));
    if (query.before) (where.push("id < ?"), args.push(query.before));
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${limit + 1}`;
    const rows = this.sql.exec(sql, ...args).toArray();
    const entries = rows.slice(0, limit).map(toAuditEntry);
    return { entries, next_before: rows.length > limit ? (entries[entries.length - 1]?.id ?? null) : null };
  }

  /** Drops entries older than `days` (AUDIT_RETENTION_DAYS); returns how many went. */
  prune(days: number): number {
    return this.sql.exec("DELETE FROM audit WHERE at < ?", daysAgo(days)).rowsWritten;
  }
}

function toAuditEntry(row: Row): AuditEntry {
  return {
    id: num(row.id),
    at: str(row.at),
    run_id: numOrNull(row.run_id),
    kind: str(row.kind) as AuditEntry["kind"],
    cause: strOrNull(row.cause),
    sha: strOrNull(row.sha),
    delivery: strOrNull(row.delivery),
    actor: strOrNull(row.actor),
    name: strOrNull(row.name),
    action: strOrNull(row.action),
    result: str(row.result),
    operation_id: strOrNull(row.operation_id),
    detail: readJson<Record<string, unknown>>(auditDetailSchema, str(row.detail), { table: "audit", key: `${num(row.id)}.detail` }),
  };
}

/** What every audit entry of a run carries: the run, what caused it, its commit, the delivery and the actor. */
export function runAuditContext(state: Readonly<RunState>): { run_id: number; cause: RunRequest["cause"]; sha: string | null; delivery: string | null; actor: string | null } {
  return { run_id: state.runId, cause: state.request.cause, sha: state.sha, delivery: state.request.delivery ?? null, actor: state.request.actor ?? null };
}

/** A change's entry: its fields and ids, the ngrok writes it took, and on failure the error and any compensation. */
export function auditOutcome(audit: AuditTable, state: Readonly<RunState>, outcome: ChangeOutcome, writes: ReadonlyMap<string, NgrokCall[]>): void {
  const change = outcome.change;
  const detail: Record<string, unknown> = {};
  if (change.action === "update" || change.action === "import" || change.action === "replace") detail.fields = change.fields.map((f) => ({ field: f.field, before: f.before, after: f.after }));
  if (change.action === "delete") detail.reason = change.reason;
  // Whether MAX_DELETES let it through uncounted (its date was applied while ahead), for whoever audits a mass expiry.
  if (change.action === "delete" && change.reason === "expired") detail.matured = change.matured === true;
  if (change.action !== "create") detail.id = change.id;
  if (outcome.status === "done" && outcome.createdId) detail.created_id = outcome.createdId;
  const ids = [change.action !== "create" ? change.id : null, outcome.status === "done" ? (outcome.createdId ?? null) : null].filter((id): id is string => id !== null);
  const calls = ids.flatMap((id) => writes.get(id) ?? []).map((call) => ({ method: call.method, status: call.status, operation_id: call.operation_id, credential_id: call.credential_id }));
  if (calls.length > 0) detail.api_calls = calls;
  if (outcome.status === "failed") {
    detail.error = { code: outcome.error.code, message: outcome.error.message, status_code: outcome.error.status_code };
    if (outcome.compensation) detail.compensation = outcome.compensation;
  }
  audit.append({
    ...runAuditContext(state),
    kind: "change",
    name: change.name,
    action: change.action,
    result: outcome.status,
    // The failing call's operation id, else the last write's (the one that completed the change).
    operation_id: outcome.status === "failed" ? (outcome.error.operation_id ?? null) : (calls[calls.length - 1]?.operation_id ?? null),
    detail,
  });
}

/** A delivery's entry: the secret it wrote (never its value), the credential id delivered, or the error. */
export function auditDelivery(audit: AuditTable, state: Readonly<RunState>, result: DeliveryResult, id: string | null): void {
  audit.append({
    ...runAuditContext(state),
    kind: "delivery",
    name: result.name,
    action: result.action,
    result: result.status,
    operation_id: null,
    detail: { target: result.key, ...(id ? { id } : {}), ...(result.error ? { error: result.error } : {}) },
  });
}
