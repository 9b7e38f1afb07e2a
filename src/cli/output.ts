// What plan and apply print as changes finish and at the end: one line per outcome, then a summary.
import type { ApplyReport, ChangeOutcome } from "../apply/types.js";
import type { Plan } from "../plan/types.js";

export function progressLine(outcome: ChangeOutcome): string {
  const change = outcome.change;
  if (outcome.status === "failed") {
    const lines = [`  ✗ ${change.action} ${change.name}: ${outcome.error.message}`];
    if (outcome.compensation) lines.push(`      ${outcome.compensation}`);
    return `${lines.join("\n")}\n`;
  }
  let what: string;
  if (change.action === "create") what = outcome.createdId ?? "";
  else if (change.action === "replace") what = `${change.id} → ${outcome.createdId ?? "?"}`;
  else if (change.action === "delete" && change.reason !== "removed") what = `${change.id}, ${change.reason}`;
  else what = change.id;
  return `  ✓ ${change.action} ${change.name}${what ? ` (${what})` : ""}${outcome.note ? `: ${outcome.note}` : ""}\n`;
}

export function summary(plan: Plan, report: ApplyReport, tokensPath: string, cwd: string): string {
  const count = { create: 0, update: 0, import: 0, replace: 0, rotate: 0, delete: 0 };
  let minted = 0;
  for (const outcome of report.outcomes) {
    if (outcome.status !== "done") continue;
    count[outcome.change.action]++;
    if (outcome.createdId !== undefined) minted++;
  }
  const done = `${count.create} created, ${count.update + count.import} updated, ${count.replace + count.rotate} replaced, ${count.delete} deleted`;
  const lines: string[] = [];
  if (report.ok) lines.push(`Apply complete: ${done}.`);
  else {
    const failed = report.outcomes.filter((o) => o.status === "failed").length;
    lines.push(`Apply failed: ${done}; ${failed} failed, ${report.notAttempted.length} not attempted (of ${plan.changes.length}).`);
    if (report.notAttempted.length > 0) lines.push(`  not attempted: ${report.notAttempted.map((c) => `${c.action} ${c.name}`).join(", ")}`);
    lines.push("Run apply again to continue; open write-ahead intents let it clean up anything left half done.");
  }
  if (minted > 0) {
    const shown = tokensPath.startsWith(`${cwd}/`) ? tokensPath.slice(cwd.length + 1) : tokensPath;
    lines.push(`New tokens are encrypted in ${shown}; print one with \`npm run token -- NAME\`.`);
  }
  return `${lines.join("\n")}\n`;
}

