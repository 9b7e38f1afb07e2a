import { makePlan } from "../src/plan/plan.js";
import { renderText } from "../src/plan/render.js";
import { changeSchema, changeOutcomeSchema, readJson } from "../src/reconciler/persisted.js";
import type { CredentialSpec } from "../src/desired/types.js";
const N = 10_000;
const spec = (i: number): CredentialSpec => ({ name: `svc-${String(i).padStart(5, "0")}`, description: `agent ${i} of the platform team`, metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: i + 2, column: 5, field: `credentials[${i}]` } });
const plan = makePlan({ ownerId: "o", specs: Array.from({ length: N }, (_, i) => spec(i)), live: [], stored: new Map(), intents: [], specFiles: 100, maxDeletes: 10 });
const rows = plan.changes.map((c) => JSON.stringify(c));
const outs = plan.changes.map((c) => JSON.stringify({ status: "done", change: c, createdId: "cr_" + "x".repeat(27) }));
function time(label: string, f: () => unknown) {
  const t: number[] = [];
  for (let r = 0; r < 15; r++) { const s = performance.now(); f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label, "best", t[0]!.toFixed(2), "median", t[7]!.toFixed(2), "ms; µs/change median", ((t[7]! * 1000) / N).toFixed(2));
}
time("rows parse+zod", () => rows.map((j, i) => readJson(changeSchema, j, { table: "run_changes", key: String(i) })));
time("rows parse", () => rows.map((j) => JSON.parse(j)));
time("outcomes parse+zod", () => outs.map((j, i) => readJson(changeOutcomeSchema, j, { table: "run_results", key: String(i) })));
time("renderText", () => renderText(plan));
console.log("plan_text bytes", renderText(plan).length, "per change", renderText(plan).length / N);
