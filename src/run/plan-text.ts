// The operator's plan_text, rendered before the report a range of the saved plan's changes at a time, each piece kept in the run's scratch.
import { utf8Bytes } from "../ownership/marker.js";
import { changesText, PLAN_TEXT_CHANGES_BYTES, unshownLine } from "../plan/render-pieces.js";
import { PLAN_TEXT_UNITS_PER_CHANGE } from "./cpu-units.js";
import { persist, type Invocation } from "./invocation.js";
import type { RunState } from "./state.js";

/** The most changes one piece renders: a piece's text stays well under a stored value's size. */
export const PLAN_TEXT_PIECE = 500;

/** Renders the next pieces of plan_text's change lines while the units last; true once they are all rendered (or the cap is reached). */
export async function renderPlanText(state: RunState, run: Invocation): Promise<boolean> {
  if (state.invalid || state.skipped !== undefined) return true;
  const { scratch, budget } = run.ports;
  const { changes: total } = await scratch.loadPlanHead();
  let { changes, bytes } = await scratch.planTextProgress();
  while (changes < total && bytes < PLAN_TEXT_CHANGES_BYTES) {
    // As many as the units left allow (at least one: the first piece of an invocation always goes).
    const left = Math.floor((budget.unitLimit - budget.unitsUsed) / PLAN_TEXT_UNITS_PER_CHANGE);
    const count = Math.max(1, Math.min(total - changes, PLAN_TEXT_PIECE, left));
    if (!budget.affords(count * PLAN_TEXT_UNITS_PER_CHANGE)) return false;
    budget.spend(count * PLAN_TEXT_UNITS_PER_CHANGE);
    const text = changesText(await scratch.loadChanges({ offset: changes, limit: count }));
    const size = utf8Bytes(text);
    await scratch.appendPlanText(text, count, size);
    changes += count;
    bytes += size;
    state.rendered = changes;
    await persist(state, run);
  }
  return true;
}

/** The change lines rendered, with a line counting those past the cap. */
export async function renderedChanges(run: Invocation): Promise<string> {
  const { scratch } = run.ports;
  const [{ changes: total }, { changes }, text] = await Promise.all([scratch.loadPlanHead(), scratch.planTextProgress(), scratch.loadPlanText()]);
  return changes < total ? `${text}${unshownLine(total - changes)}` : text;
}
