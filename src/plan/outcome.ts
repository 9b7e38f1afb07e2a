// The outcome section a merged pull request's sticky comment gains after its apply: Applied, Held or Failed, with counts, what was not applied and why, and the run's id.
import type { RunOutput } from "../run/types.js";
import { code, showHidden } from "./inert.js";

/** Lines of "not applied" (and of missing approvals) a section names at most; the rest are counted. */
const MAX_LINES = 40;

export type OutcomeHeading = "Applied" | "Held" | "Failed";

export function outcomeHeading(output: Pick<RunOutput, "status">): OutcomeHeading {
  return output.status === "succeeded" ? "Applied" : output.status === "held" ? "Held" : "Failed";
}

/** The section (upsertOutcomeSection puts its marker above it). Untrusted text (names, errors, reasons) is made inert. */
export function renderOutcomeSection(input: { runId: number; sha: string; output: RunOutput }): string {
  const { output } = input;
  const heading = outcomeHeading(output);
  const lines = [`### ${heading}`, ""];
  const run = `run ${input.runId} (\`GET /api/runs/${input.runId}\`), commit ${input.sha.slice(0, 7)}`;
  if (heading === "Held") {
    const review = output.review;
    lines.push(`Nothing of this merge was applied: it lacks the approvals the policy's \`review:\` requires. ${run}.`, "");
    for (const reason of (review?.reasons ?? []).slice(0, MAX_LINES)) lines.push(`- ${showHidden(reason)}`);
    const missing = review?.missing ?? [];
    if (missing.length > 0) {
      lines.push("", "| credential | file | approval missing from |", "|---|---|---|");
      for (const m of missing.slice(0, MAX_LINES)) lines.push(`| ${code(m.name)} | ${code(m.file)} | ${m.owners.map((o) => showHidden(o).replace(/\|/g, "\\|")).join(" or ")} |`);
      if (missing.length > MAX_LINES) lines.push("", `…and ${missing.length - MAX_LINES} more missing approvals.`);
    }
    lines.push("", "An approval that counts, submitted now, checks this merge again and applies it.");
    return lines.join("\n");
  }
  const done = output.outcomes.filter((o) => o.status === "done" && o.target === undefined);
  const count = (action: string) => done.filter((o) => o.action === action).length;
  const counts = `${count("create")} created, ${count("update") + count("import")} updated, ${count("replace")} replaced, ${count("delete")} deleted`;
  const delivered = output.outcomes.filter((o) => o.target !== undefined && o.status === "done").length;
  lines.push(`${counts}${delivered > 0 ? `, ${delivered} deliver${delivered === 1 ? "y" : "ies"} done` : ""}. ${run}.`);
  const notApplied = output.outcomes.filter((o) => o.status !== "done" && o.status !== "planned");
  if (notApplied.length > 0) {
    lines.push("", "Not applied:", "");
    for (const o of notApplied.slice(0, MAX_LINES)) {
      const what = `${o.action} ${code(o.name)}${o.target !== undefined ? ` → ${code(o.target)}` : ""}`;
      lines.push(`- ${what}: ${o.status.replace("_", " ")}${o.error ? ` (${code(o.error)})` : ""}`);
    }
    if (notApplied.length > MAX_LINES) lines.push(`- …and ${notApplied.length - MAX_LINES} more`);
  }
  // Errors not tied to one change (a refused plan, an invalid spec, a run that stopped).
  const named = new Set(notApplied.map((o) => o.error).filter((e): e is string => e !== undefined));
  const other = output.errors.filter((e) => ![...named].some((n) => e.endsWith(n)));
  if (heading === "Failed" && other.length > 0) {
    lines.push("", "Why:", "");
    for (const error of other.slice(0, MAX_LINES)) lines.push(`- ${code(error)}`);
  }
  if (heading === "Failed") lines.push("", `The run ended ${output.status}; the next push or cron tick retries what is left.`);
  return lines.join("\n");
}
