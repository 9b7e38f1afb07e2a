// Measures the per-change costs behind PLAN_ROW_UNITS, PLAN_TEXT_UNITS_PER_CHANGE and REPORT_UNITS_PER_CHANGE: node --import tsx bench/plan-rows.mts
import { makePlan } from "../src/plan/plan.js";
import { changesText } from "../src/plan/render-pieces.js";
import { renderText } from "../src/plan/render.js";
import { changeSchema, changeOutcomeSchema, liveSchema, readJson } from "../src/reconciler/persisted.js";
import { encodeMetadata } from "../src/ownership/marker.js";
import type { CredentialSpec } from "../src/desired/types.js";
const N = 10_000;
const spec = (i: number): CredentialSpec => ({ name: `svc-${String(i).padStart(5, "0")}`, description: `agent ${i} of the platform team`, metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: i + 2, column: 5, field: `credentials[${i}]` } });
const plan = makePlan({ ownerId: "o", specs: Array.from({ length: N }, (_, i) => spec(i)), live: [], stored: new Map(), intents: [], specFiles: 100, maxDeletes: 10 });
const rows = plan.changes.map((c) => JSON.stringify(c));
const outs = plan.changes.map((c) => JSON.stringify({ status: "done", change: c, createdId: "cr_" + "x".repeat(27) }));
const live = plan.changes.map((c, i) => JSON.stringify({ id: `cr_${String(i).padStart(27, "0")}`, uri: "https://api.ngrok.com/credentials/x", created_at: "2026-01-01T00:00:00Z", description: `agent ${i} of the platform team`, metadata: encodeMetadata(null, { owner: "o", name: c.name }), acl: [], owner_id: "usr_1" }));
function time(label: string, f: () => unknown) {
  const t: number[] = [];
  for (let r = 0; r < 21; r++) { const s = performance.now(); f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label.padEnd(28), "best µs/item", ((t[0]! * 1000) / N).toFixed(2), "median", ((t[10]! * 1000) / N).toFixed(2));
}
time("live row parse+zod (ref)", () => live.map((j, i) => readJson(liveSchema, j, { table: "run_live", key: String(i) })));
time("plan row parse+zod", () => rows.map((j, i) => readJson(changeSchema, j, { table: "run_changes", key: String(i) })));
time("outcome row parse+zod", () => outs.map((j, i) => readJson(changeOutcomeSchema, j, { table: "run_results", key: String(i) })));
time("plan_text lines (pieces)", () => { for (let i = 0; i < N; i += 500) changesText(plan.changes.slice(i, i + 500)); });
time("renderText whole", () => renderText(plan));
