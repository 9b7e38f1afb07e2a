// `npm run bench`: API calls against the lower bound and a per-resource baseline, planning CPU, and webhook latency (issue 8).
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { assertConverged, BASELINE_ASSUMPTION, BenchFailure, caseGrid, planTargetMs, runReconcileCase, type CaseResult } from "./reconcile-case.js";
import { renderHostileInput, runHostileInputBench, type HostileInputResult } from "./hostile-input.js";
import { rateCaseGrid, runRateCase, type RateCaseResult } from "./rate-limit.js";
import { runWebhookBench, type WebhookResult } from "./webhook.js";
import { invocationCaseGrid, renderInvocations, runInvocationCase, type InvocationCaseResult } from "./invocations.js";
import { renderKinds, runKindsCase, type KindsCaseResult } from "./kinds.js";

const USAGE = `Usage: npm run bench [-- --json] [-- --quick] [-- --strict] [-- --only PARTS]

Reconciles N = 100, 1,000 and 10,000 managed credentials with 0, 10 and 1 % changes against the
in-process ngrok emulator; measures applies of 1,000 and 10,000 against ngrok's rate limit (120 per
rolling 60 s) on a simulated clock, alone and sharing the account; then times signed 1 MB push
deliveries to the Worker under wrangler dev.

  --json      one JSON object per line: one per case, then one for the webhook latency
  --quick     smoke test: N = 100 and 1,000 only, fewer timing reps, no webhook part
  --only P    comma-separated parts to run: calls, invocations, kinds, rate, hostile, webhook (default all)
  --strict    exit 2 when a target is missed (a correctness failure always exits 1)
  --verbose   show wrangler's output
  --help      show this help
`;

const WEBHOOK_P99_TARGET_MS = 20;
/** Issue 16: our p99 over the transport floor's p99 (the same 1 MB rejected before verification). */
const WEBHOOK_OVER_FLOOR_TARGET_MS = 5;
const WEBHOOK_DELIVERIES = 200;
const WEBHOOK_PAYLOAD_BYTES = 1_000_000;

interface Targets {
  ratio: { target: number; met: boolean };
  plan_cpu_ms: { target: number; met: boolean } | null;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { json: { type: "boolean" }, quick: { type: "boolean" }, strict: { type: "boolean" }, verbose: { type: "boolean" }, only: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const json = values.json ?? false;
  const quick = values.quick ?? false;
  const parts = new Set((values.only ?? "calls,invocations,kinds,rate,hostile,webhook").split(",").map((p) => p.trim()));
  for (const part of parts) if (!["calls", "invocations", "kinds", "rate", "hostile", "webhook"].includes(part)) throw new Error(`--only: unknown part ${JSON.stringify(part)} (calls, invocations, kinds, rate, hostile, webhook)`);
  // Progress goes to stderr, so `--json` output stays machine-readable.
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();

  const results: { result: CaseResult; targets: Targets }[] = [];
  for (const input of parts.has("calls") ? caseGrid(quick ? [100, 1_000] : [100, 1_000, 10_000], { quick }) : []) {
    progress(`bench: N=${input.n} k=${input.kLabel} …`);
    const result = await runReconcileCase(input);
    assertConverged(result);
    const target = planTargetMs(result.n);
    const targets: Targets = {
      // Compared as an exact count: the ratio is 1 only when not one call beyond the minimum was made.
      ratio: { target: 1, met: result.api_calls === result.lower_bound },
      plan_cpu_ms: target === null ? null : { target, met: result.plan_cpu_ms <= target },
    };
    results.push({ result, targets });
    if (json) process.stdout.write(`${JSON.stringify({ kind: "reconcile", ...result, baseline_assumption: BASELINE_ASSUMPTION, targets })}\n`);
  }

  // Issue 25: each invocation's CPU under the Workers Free budgets, cold and warm; several runs, best and median.
  const invocations: InvocationCaseResult[] = [];
  for (const input of parts.has("invocations") ? invocationCaseGrid(quick ? [1_000] : [1_000, 10_000], quick ? 1 : 3) : []) {
    progress(`bench: per invocation under the Free budgets, N=${input.n} k=${input.kLabel} ${input.cold ? "cold" : "warm"} …`);
    const row = await runInvocationCase(input);
    invocations.push(row);
    if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  }

  const kinds: KindsCaseResult[] = [];
  for (const n of parts.has("kinds") ? (quick ? [100, 1_000] : [100, 1_000, 10_000]) : []) {
    progress(`bench: mixed kinds, N=${n} …`);
    const row = await runKindsCase(n, quick ? 3 : 7);
    if (!row.converged) throw new BenchFailure(`mixed kinds N=${n}: not converged after the apply`);
    kinds.push(row);
    if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  const kindsMissed = kinds.flatMap((r) => [
    ...(r.apply_calls !== r.apply_lower_bound ? [`mixed kinds N=${r.n}: apply calls ${r.apply_calls} > ${r.apply_lower_bound}`] : []),
    ...(r.plan_calls !== r.plan_lower_bound ? [`mixed kinds N=${r.n}: plan calls ${r.plan_calls} > ${r.plan_lower_bound}`] : []),
    ...((planTargetMs(r.n) ?? Infinity) < r.plan_cpu_ms ? [`mixed kinds N=${r.n}: plan CPU ${r.plan_cpu_ms.toFixed(1)} ms > ${planTargetMs(r.n)} ms`] : []),
  ]);

  if (parts.has("hostile")) progress("bench: hostile spec files …");
  const hostile = parts.has("hostile") ? runHostileInputBench(quick ? 1 : 5) : [];
  if (json) for (const row of hostile) process.stdout.write(`${JSON.stringify(row)}\n`);
  const rates: RateCaseResult[] = [];
  for (const input of parts.has("rate") ? rateCaseGrid(quick ? [1_000] : [1_000, 10_000]) : []) {
    progress(`bench: rate limit, N=${input.n} ${input.change}${input.neighbourShare > 0 ? ` sharing ${input.neighbourShare * 100}%` : " alone"} (simulated clock) …`);
    const rate = await runRateCase(input);
    if (!rate.converged) throw new BenchFailure(`${rate.case}: not converged after the apply`);
    rates.push(rate);
    if (json) process.stdout.write(`${JSON.stringify(rate)}\n`);
  }

  let webhook: WebhookResult | null = null;
  if (!quick && parts.has("webhook")) {
    progress(`bench: webhook latency, ${WEBHOOK_DELIVERIES} signed ~1 MB push deliveries via wrangler dev …`);
    webhook = await runWebhookBench({
      deliveries: WEBHOOK_DELIVERIES,
      warmup: 10,
      payloadBytes: WEBHOOK_PAYLOAD_BYTES,
      log: values.verbose ? progress : undefined,
    });
    if (json) {
      const targets = { p99_ms: { target: WEBHOOK_P99_TARGET_MS, met: webhook.p99_ms <= WEBHOOK_P99_TARGET_MS }, over_floor_p99_ms: { target: WEBHOOK_OVER_FLOOR_TARGET_MS, met: webhook.over_floor_p99_ms <= WEBHOOK_OVER_FLOOR_TARGET_MS } };
      process.stdout.write(`${JSON.stringify({ ...webhook, targets })}\n`);
    }
  }

  const wallSeconds = (performance.now() - started) / 1000;
  const missed = [...kindsMissed, ...missedTargets(results, webhook), ...missedInvocationTargets(invocations), ...missedRateTargets(rates), ...hostile.filter((r) => !r.targets.ratio.met).map((r) => `hostile input "${r.case}" ratio ${r.ratio.toFixed(1)} > ${r.targets.ratio.target}`)];
  if (!json) process.stdout.write(render(results, webhook, wallSeconds, missed, rates, hostile, invocations) + (kinds.length > 0 ? `${renderKinds(kinds, planTargetMs).join("\n")}\n` : ""));
  else progress(`bench: done in ${wallSeconds.toFixed(1)} s${missed.length > 0 ? `; missed: ${missed.join("; ")}` : ""}`);
  return missed.length > 0 && values.strict ? 2 : 0;
}

function missedTargets(results: readonly { result: CaseResult; targets: Targets }[], webhook: WebhookResult | null): string[] {
  const missed: string[] = [];
  for (const { result, targets } of results) {
    const where = `N=${result.n} k=${result.k_label}`;
    if (!targets.ratio.met) missed.push(`${where} ratio ${result.ratio.toFixed(2)} (extra: ${result.extra_calls.join(", ")})`);
    if (targets.plan_cpu_ms && !targets.plan_cpu_ms.met) {
      missed.push(`${where} plan_cpu_ms ${result.plan_cpu_ms.toFixed(1)} > ${targets.plan_cpu_ms.target} (${(result.plan_cpu_ms / targets.plan_cpu_ms.target).toFixed(1)}×)`);
    }
  }
  if (webhook && webhook.p99_ms > WEBHOOK_P99_TARGET_MS) missed.push(`webhook p99 ${webhook.p99_ms.toFixed(1)} ms > ${WEBHOOK_P99_TARGET_MS} ms`);
  if (webhook && webhook.over_floor_p99_ms > WEBHOOK_OVER_FLOOR_TARGET_MS) {
    missed.push(`webhook p99 over the transport floor ${webhook.over_floor_p99_ms.toFixed(1)} ms > ${WEBHOOK_OVER_FLOOR_TARGET_MS} ms`);
  }
  return missed;
}

function missedInvocationTargets(rows: readonly InvocationCaseResult[]): string[] {
  return rows.flatMap((r) => {
    const where = `N=${r.n} k=${r.k_label} ${r.cache}`;
    return [
      ...(r.targets.max_invocation_cpu_ms.met ? [] : [`${where}: largest invocation ${r.max_invocation_cpu_ms.toFixed(1)} ms > ${r.targets.max_invocation_cpu_ms.target} ms`]),
      ...(r.targets.total_ratio.met ? [] : [`${where}: total CPU ${r.total_ratio.toFixed(2)}× the single invocation's > ${r.targets.total_ratio.target}×`]),
    ];
  });
}

function missedRateTargets(rates: readonly RateCaseResult[]): string[] {
  const missed: string[] = [];
  for (const r of rates) {
    if (r.targets.ratio && !r.targets.ratio.met && r.ratio !== null) {
      missed.push(`${r.case}: ratio ${r.ratio.toFixed(3)} > ${r.targets.ratio.target} (against the chain floor ${r.floor_chain_s.toFixed(1)} s of sequential list pages at the simulated latency: ${r.ratio_chain.toFixed(3)})`);
    }
    if (!r.targets.http_429_pct.met) missed.push(`${r.case}: ${r.http_429} 429s (${r.http_429_pct.toFixed(2)} % of calls)`);
  }
  return missed;
}

function renderRates(rates: readonly RateCaseResult[]): string[] {
  if (rates.length === 0) return [];
  const header = ["case", "calls", "wall_s", "floor_s", "ratio", "target", "chain_s", "ratio_chain", "429s", "429 %", "max/60s", "eta_s"];
  const rows = rates.map((r) => [
    r.case,
    String(r.calls),
    r.wall_s.toFixed(1),
    r.floor_s.toFixed(0),
    r.ratio === null ? "—" : r.ratio.toFixed(3),
    r.targets.ratio === null ? "(limit not binding)" : `≤${r.targets.ratio.target} ${r.targets.ratio.met ? "✓" : "✗"}`,
    r.floor_chain_s.toFixed(1),
    r.ratio_chain.toFixed(3),
    `${r.http_429} ${r.targets.http_429_pct.met ? "✓" : "✗"}`,
    r.http_429_pct.toFixed(2),
    String(r.max_calls_per_window),
    r.eta_at_start_s.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => [...(row[i] ?? "")].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === 5 ? c + " ".repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)) : " ".repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)) + c)).join("  ").trimEnd();
  return [
    "",
    "Against ngrok's limit (emulator at 120 per rolling 60 s, simulated clock, 20–120 ms one-way latency, the run core (driveRun) through the paced NgrokClient):",
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    "floor_s: window arithmetic, floor((calls-1)/L) windows with L = 120 alone, 90 when a neighbour uses 25 %; ratio = wall_s/floor_s.",
    "chain_s: the same with the round trips no client can overlap (list pages name the next one) at the simulated mean latency.",
    "Goals: ratio ≤ 1.05 alone with 0 429s; ≤ 1.35 shared with 429s < 1 % of calls. eta_s: the progress ETA before the first change.",
  ];
}

function render(results: readonly { result: CaseResult; targets: Targets }[], webhook: WebhookResult | null, wallSeconds: number, missed: readonly string[], rates: readonly RateCaseResult[] = [], hostile: readonly HostileInputResult[] = [], invocations: readonly InvocationCaseResult[] = []): string {
  const mark = (met: boolean) => (met ? "✓" : "✗");
  const header = ["n", "k", "changes", "api_calls", "lower_bound", "ratio", "target", "plan_cpu_ms", "(load+diff)", "floor", "diff/floor", "target", "cold_ms", "baseline_calls", "baseline/ours"];
  const rows = results.map(({ result: r, targets: t }) => [
    r.n.toLocaleString("en-US"),
    r.k_label,
    String(r.changes),
    String(r.api_calls),
    String(r.lower_bound),
    r.ratio.toFixed(2),
    `1.00 ${mark(t.ratio.met)}`,
    r.plan_cpu_ms.toFixed(1),
    `(${r.plan_load_ms.toFixed(1)}+${r.plan_diff_ms.toFixed(1)})`,
    r.plan_floor_ms.toFixed(1),
    `${(r.plan_diff_ms / r.plan_floor_ms).toFixed(1)}×`,
    t.plan_cpu_ms === null ? "—" : `≤${t.plan_cpu_ms.target} ${mark(t.plan_cpu_ms.met)}`,
    r.plan_cpu_cold_ms.toFixed(1),
    String(r.baseline_calls),
    `${r.baseline_over_ours.toFixed(1)}×`,
  ]);
  const numeric = new Set([0, 2, 3, 4, 5, 7, 9, 10, 12, 13]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => [...(row[i] ?? "")].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - [...cell].length));
        return numeric.has(i) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  const out = [`ngrok-gitops bench · node ${process.version} · ${cpus().length} CPUs · in-process emulator, real NgrokClient, runLocal() → driveRun mode "apply"`];
  if (results.length > 0) out.push(
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    "api_calls: HTTP requests the NgrokClient sent during the apply run; lower_bound = ceil(N_live/100) list pages + changes.",
    "plan_cpu_ms: median of loadSpecs + makePlan on the listed live credentials (split: loadSpecs + makePlan), with the Durable Object's parse cache warm from the files before the change (only changed files parsed); cold_ms: the same with no cache.",
    "floor: one bare pass over the same live list (JSON.parse of each credential's metadata into a Map), timed beside it; diff/floor = makePlan over that floor.",
    `${BASELINE_ASSUMPTION}.`,
    "Every apply was followed by a second plan, which had zero changes (correctness guard; the bench fails otherwise).",
  );
  out.push(...renderInvocations(invocations), ...renderRates(rates), ...renderHostileInput(hostile));
  if (webhook) {
    const met = webhook.p99_ms <= WEBHOOK_P99_TARGET_MS;
    out.push(
      "",
      `webhook: ${webhook.deliveries} signed push deliveries of ${(webhook.payload_bytes / 1e6).toFixed(2)} MB, request → 202: p50 ${webhook.p50_ms.toFixed(1)} ms, p99 ${webhook.p99_ms.toFixed(1)} ms (target p99 ≤ ${WEBHOOK_P99_TARGET_MS} ms ${mark(met)}), max ${webhook.max_ms.toFixed(1)} ms`,
      `         same 1 MB POST rejected before verification (transport floor): p50 ${webhook.floor_p50_ms.toFixed(1)} ms, p99 ${webhook.floor_p99_ms.toFixed(1)} ms; via ${webhook.via}`,
      `         our p99 over the floor's p99: ${webhook.over_floor_p99_ms.toFixed(1)} ms (target ≤ ${WEBHOOK_OVER_FLOOR_TARGET_MS} ms ${mark(webhook.over_floor_p99_ms <= WEBHOOK_OVER_FLOOR_TARGET_MS)}); p50 over p50: ${webhook.over_floor_p50_ms.toFixed(1)} ms`,
      `         same body as a signed ping (HMAC + JSON.parse, no Durable Object): p50 ${webhook.verified_p50_ms.toFixed(1)} ms, p99 ${webhook.verified_p99_ms.toFixed(1)} ms`,
      `         runs happen in the Durable Object alarm, not the request: last run #${webhook.last_run?.id ?? "?"} ${webhook.last_run?.status ?? "none"}${webhook.last_run?.error ? ` (${webhook.last_run.error}; GitHub/ngrok URLs point at closed loopback ports on purpose)` : ""}`,
    );
  }
  out.push("", missed.length === 0 ? "All targets met." : `Targets missed:\n${missed.map((m) => `  ✗ ${m}`).join("\n")}`, `wall time: ${wallSeconds.toFixed(1)} s`, "");
  return out.join("\n");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A correctness failure (not converged, wrong plan, wrong status) must be loud and fail the command.
    const label = error instanceof BenchFailure ? "BENCH FAILED" : "error";
    process.stderr.write(`${label}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
