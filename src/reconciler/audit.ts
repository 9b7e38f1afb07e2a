// The audit log: append-only entries for runs, changes, deliveries, token reads and key rotations; pruned by age.
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
