// `apply --json`: the outcome of every change as data for scripts (never a token: ngrok's create response stays in the vault).
import type { ApplyReport, ChangeOutcome } from "../apply/types.js";
import type { Change, Plan, PlanChange } from "../plan/types.js";

export interface OutcomeJson {
  action: Change["action"];
  name: string;
  status: "done" | "failed" | "not_attempted";
  /** The credential changed (the old one for a replace or rotation). */
  id?: string;
  /** The credential a create, replace or rotation minted. */
  created_id?: string;
  note?: string;
  error?: { code: string; message: string; status_code?: number; operation_id?: string };
  compensation?: string;
}

export interface ApplyJson {
  ok: boolean;
  summary: { create: number; update: number; delete: number; failed: number; not_attempted: number };
  outcomes: OutcomeJson[];
  refusals: Plan["refusals"];
}

function idOf(change: PlanChange): string | undefined {
  return "id" in change ? change.id : undefined;
}

function outcomeJson(outcome: ChangeOutcome): OutcomeJson {
  const { change } = outcome;
  const base: OutcomeJson = { action: change.action, name: change.name, status: outcome.status };
  const id = idOf(change);
  if (id !== undefined) base.id = id;
  if (outcome.status === "done") {
    if (outcome.createdId !== undefined) base.created_id = outcome.createdId;
    if (outcome.note !== undefined) base.note = outcome.note;
  } else {
    const { code, message, status_code, operation_id } = outcome.error;
    base.error = { code, message, ...(status_code === undefined ? {} : { status_code }), ...(operation_id === undefined ? {} : { operation_id }) };
    if (outcome.compensation !== undefined) base.compensation = outcome.compensation;
  }
  return base;
}

/** `report` is null when nothing was applied (no changes, or a refused plan). */
export function applyJson(plan: Plan, report: ApplyReport | null): ApplyJson {
  const outcomes = report === null ? [] : [...report.outcomes.map(outcomeJson), ...report.notAttempted.map((change): OutcomeJson => {
    const id = idOf(change);
    return { action: change.action, name: change.name, status: "not_attempted", ...(id === undefined ? {} : { id }) };
  })];
  const done = outcomes.filter((o) => o.status === "done");
  return {
    ok: plan.refusals.length === 0 && (report?.ok ?? true),
    summary: {
      create: done.filter((o) => o.action === "create" || o.action === "replace" || o.action === "rotate").length,
      update: done.filter((o) => o.action === "update" || o.action === "import").length,
      delete: done.filter((o) => o.action === "delete" || o.action === "replace").length,
      failed: outcomes.filter((o) => o.status === "failed").length,
      not_attempted: outcomes.filter((o) => o.status === "not_attempted").length,
    },
    outcomes,
    refusals: plan.refusals,
  };
}
