// The operator's plan_text change lines rendered a range of changes at a time, so a run renders a big plan over several invocations.
import { changeLines } from "./render.js";
import type { PlanChange } from "./types.js";

/** The UTF-8 bytes of change lines the operator's plan_text holds (the run record keeps 1 MB of it); the rest are counted. */
export const PLAN_TEXT_CHANGES_BYTES = 900_000;

/** Some of a plan's changes as renderText shows them, each followed by an empty line ("" for none). */
export function changesText(changes: readonly PlanChange[]): string {
  const out: string[] = [];
  for (const change of changes) out.push(...changeLines(change, "operator").map((line) => `  ${line}`), "");
  return changes.length > 0 ? `${out.join("\n")}\n` : "";
}

/** The line that ends change lines cut at PLAN_TEXT_CHANGES_BYTES: how many changes are not shown. */
export function unshownLine(count: number): string {
  return `  …and ${count} more change${count === 1 ? "" : "s"} not shown: plan_text keeps about ${PLAN_TEXT_CHANGES_BYTES / 1000} KB of change lines; each change's outcome is in the audit log\n\n`;
}
