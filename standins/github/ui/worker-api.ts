// The stand-in's server reads the Worker's operator API (status, recent runs, audit log) for the web UI; the admin token stays on the server, never in a page.
import { discardBody } from "../../../dev/drain.js";

export interface WorkerLink {
  /** e.g. http://127.0.0.1:8787 */
  readonly url: string;
  readonly adminToken: string;
  /** The repository the Worker reconciles, for links from a run to its pull request. */
  readonly repository: string;
}

export interface WorkerRun {
  id: number;
  cause: string;
  mode: string;
  sha: string | null;
  pr: number | null;
  status: string;
  started_at: string;
  finished_at: string | null;
  plan_text: string;
  outcomes: { action: string; name: string; status: string; target?: string; error?: string }[];
  errors: string[];
}

export interface WorkerAuditEntry {
  id: number;
  at: string;
  run_id: number | null;
  kind: string;
  cause: string | null;
  sha: string | null;
  actor: string | null;
  name: string | null;
  action: string | null;
  result: string;
}

export type WorkerView =
  | { kind: "unconfigured" }
  | { kind: "error"; url: string; message: string }
  | {
      kind: "ok";
      url: string;
      repository: string;
      status: { current: WorkerRun | null; queued: unknown[]; drift: { detected: boolean; changes: number } };
      runs: WorkerRun[];
      audit: WorkerAuditEntry[];
    };

const RUNS_SHOWN = 20;
const AUDIT_SHOWN = 100;

/** Status, the last runs (newest first) and the audit log; any failure becomes one message for the page. */
export async function readWorker(link: WorkerLink | undefined): Promise<WorkerView> {
  if (!link) return { kind: "unconfigured" };
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${link.url}${path}`, { headers: { Authorization: `Bearer ${link.adminToken}` }, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) {
      await discardBody(res);
      throw new Error(`GET ${path} answered HTTP ${res.status}`);
    }
    return (await res.json()) as T;
  };
  try {
    const status = await get<{ current: WorkerRun | null; last: WorkerRun | null; queued?: unknown[]; drift?: { detected: boolean; changes: number } }>("/api/status");
    const lastId = status.last?.id ?? 0;
    const ids = Array.from({ length: Math.min(RUNS_SHOWN, lastId) }, (_, i) => lastId - i);
    const runs = (await Promise.all(ids.map((id) => get<WorkerRun>(`/api/runs/${id}`).catch(() => null)))).filter((r): r is WorkerRun => r !== null);
    const audit = await get<{ entries: WorkerAuditEntry[] }>(`/api/audit?limit=${AUDIT_SHOWN}`);
    return {
      kind: "ok",
      url: link.url,
      repository: link.repository,
      status: { current: status.current, queued: status.queued ?? [], drift: status.drift ?? { detected: false, changes: 0 } },
      runs,
      audit: audit.entries,
    };
  } catch (error) {
    return { kind: "error", url: link.url, message: error instanceof Error ? error.message : String(error) };
  }
}
