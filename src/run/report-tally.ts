// The report's tally, before it: the saved plan's counts, failures and fingerprint, a piece of rows at a time, so the report reads only a bounded head.
import type { ChangeOutcome } from "../apply/types.js";
import type { Delivery, PlanChange } from "../plan/types.js";
import { TALLY_UNITS_PER_CHANGE, TALLY_UNITS_PER_OUTCOME } from "./cpu-units.js";
import { persist, type Invocation } from "./invocation.js";
import type { ReportTally, RunState } from "./state.js";

/**
 * Rows a piece tallies. The fingerprint chains a digest per piece, so the pieces are fixed ranges of the saved plan
 * ([0, 250), [250, 500), …) whatever the invocations: the same plan always gives the same fingerprint.
 */
export const TALLY_PIECE = 250;

/** The fingerprint's format: a stored one of another format (an older version's) is never taken for the same plan. */
export const FINGERPRINT_PREFIX = "v2:sha256:";

/** The first failures' error lines the tally keeps (the run's errors; every outcome has its audit entry). */
export const TALLY_ERRORS = 50;

const ZERO = "0".repeat(64);

/** Tallies the next pieces while the units last; true once the whole plan is tallied and the fingerprint set. */
export async function tallyReport(state: RunState, run: Invocation): Promise<boolean> {
  if (state.invalid || state.skipped !== undefined) return true;
  const { scratch, budget } = run.ports;
  const head = await scratch.loadPlanHead();
  const applied = state.mode !== "plan" && head.refusals === 0;
  let tally = state.tally?.round === state.round ? state.tally : undefined;
  tally ??= { round: state.round, at: 0, chain: ZERO, create: 0, update: 0, delete: 0, attempted: 0, failed: 0, errors: [] };
  state.tally = tally;
  while (tally.fingerprint === undefined) {
    const count = Math.min(TALLY_PIECE, head.changes - tally.at);
    const units = count * (TALLY_UNITS_PER_CHANGE + (applied ? TALLY_UNITS_PER_OUTCOME : 0));
    if (!budget.affords(units)) return false;
    budget.spend(units);
    if (count > 0) {
      const changes = await scratch.loadChanges({ offset: tally.at, limit: count });
      const outcomes = applied ? await scratch.loadOutcomes({ round: state.round, offset: tally.at, limit: count }) : [];
      tallyPiece(tally, changes, outcomes.map((r) => r.outcome));
      tally.chain = await sha256Hex(`${tally.chain}\n${await sha256Hex(changes.map(fingerprintLine).join("\n"))}`);
      tally.at += count;
    }
    if (tally.at >= head.changes) {
      const deliveries = head.deliveries > 0 ? await scratch.loadDeliveries({ offset: 0, limit: head.deliveries }) : [];
      tally.fingerprint = `${FINGERPRINT_PREFIX}${await sha256Hex(`${tally.chain}\n${deliveries.map(deliveryLine).sort().join("\n")}`)}`;
    }
    await persist(state, run);
  }
  return true;
}

/** Counts a piece's changes as summarize does, and its outcomes. */
function tallyPiece(tally: ReportTally, changes: readonly PlanChange[], outcomes: readonly ChangeOutcome[]): void {
  for (const change of changes) {
    if (change.action === "create" || change.action === "rotate") tally.create++;
    else if (change.action === "update" || change.action === "import") tally.update++;
    else if (change.action === "delete") tally.delete++;
    else (tally.create++, tally.delete++);
  }
  for (const outcome of outcomes) {
    tally.attempted++;
    if (outcome.status !== "failed") continue;
    tally.failed++;
    if (tally.errors.length < TALLY_ERRORS) tally.errors.push(`${outcome.change.action} ${outcome.change.name}: ${outcomeError(outcome)}`);
  }
}

/** A failed outcome's error, as the run's outcome line says it. */
export function outcomeError(outcome: Extract<ChangeOutcome, { status: "failed" }>): string {
  return outcome.compensation ? `${outcome.error.message}; ${outcome.compensation}` : outcome.error.message;
}

/** What a change would do, without its ids: equal sequences of lines mean the same changes. */
function fingerprintLine(change: PlanChange): string {
  const fields = "fields" in change ? change.fields.map((f) => `${f.field}=${JSON.stringify(f.after)}`).join(";") : "";
  return `${change.action} ${change.name} ${fields}`;
}

function deliveryLine(delivery: Delivery): string {
  return `${delivery.action} ${delivery.name} ${delivery.target.key}`;
}

async function sha256Hex(text: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}
