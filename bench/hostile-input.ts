// Hostile spec files against a floor: the loader's time on the worst inputs the fuzz tests refuse, over one pass that reads the bytes.
import { loadSpecs } from "../src/desired/load.js";

const MiB = 1024 * 1024;

/** The inputs `src/desired/fuzz.test.ts` proves are refused; here, how long the refusal takes. */
export const HOSTILE_CASES: Record<string, string> = {
  "1 MiB of [": `credentials: ${"[".repeat(MiB)}`,
  "1 MiB of {": `credentials: ${"{".repeat(MiB)}`,
  "1 MiB of '- '": `credentials:\n${"- ".repeat(MiB / 2)}`,
  "1 MiB of '? '": "? ".repeat(MiB / 2),
  "1 MiB of documents": "---\n".repeat(MiB / 4),
  "just over 1 MiB": `credentials: []\n#${"x".repeat(MiB)}`,
  "150,000 anchors": "&a ".repeat(150_000),
  "60,000 unknown keys": Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`).join("\n"),
};

/** A 50 KB file of bench-like items (a pull request's), under Free's limit: what its errors cost the error path. */
function fiftyKb(change: (lines: string[]) => void): string {
  const items: string[] = [];
  for (let i = 0; items.join("").length < 50 * 1024 - 400; i++) {
    items.push(`  - name: svc-${i}\n    description: "service ${i} of the bench fleet"\n    metadata: {team: platform, cost-center: eng-${i % 40}}\n    acl:\n      - bind:svc-${i}.example.com\n      - "bind:*.svc-${i}.example.com"\n\n`);
  }
  const lines = `credentials:\n${items.join("")}`.split("\n");
  change(lines);
  return lines.join("\n");
}
const middle = (lines: string[], prefix: string) => lines.findIndex((line, i) => i > lines.length / 2 && line.startsWith(prefix));

/** Files with errors, loaded as the Worker loads them under Free (maxParseBytes set): placing their errors must cost about what the parse is charged. */
export const ERROR_FILE_CASES: Record<string, string> = {
  "valid 50 KB file": fiftyKb(() => {}),
  "50 KB, one typo": fiftyKb((lines) => {
    const at = middle(lines, "    description:");
    lines[at] = (lines[at] as string).replace("description:", "descriptin:");
  }),
  "50 KB, one syntax error": fiftyKb((lines) => {
    const at = middle(lines, "    description:");
    lines[at] = (lines[at] as string).replace(': "', ': "x" "');
  }),
  "unknown keys in an item": fiftyKb((lines) => {
    const at = middle(lines, "    acl:");
    lines.splice(at, 0, ...Array.from({ length: 1500 }, (_, k) => `    k${k}: 1`));
  }).slice(0, 50 * 1024),
};
const FREE_PARSE_BYTES = 51_200;
/** A file with errors may cost about what a valid one of its size does (the charge); the floor is the valid one's load. */
const ERROR_RATIO_TARGET = 1.5;

/** A loader cannot refuse a file faster than it reads it: the floor is one pass over the UTF-8 bytes. */
const HOSTILE_RATIO_TARGET = 100;

export interface HostileInputResult {
  kind: "hostile_input";
  case: string;
  bytes: number;
  load_ms: number;
  floor_ms: number;
  ratio: number;
  targets: { ratio: { target: number; met: boolean } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function timeMs(reps: number, f: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

function readOnce(content: string): number {
  const bytes = new TextEncoder().encode(content);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return lines;
}

export function runHostileInputBench(reps = 5): HostileInputResult[] {
  const cases = [...Object.entries(HOSTILE_CASES).map(([what, content]) => ({ what, content, options: {} })), ...Object.entries(ERROR_FILE_CASES).map(([what, content]) => ({ what, content, options: { maxParseBytes: FREE_PARSE_BYTES } }))];
  let valid: number | undefined;
  const validMs = () => (valid ??= timeMs(Math.max(reps, 7), () => loadSpecs([{ path: "credentials/a.yaml", content: ERROR_FILE_CASES["valid 50 KB file"] as string }], { ownerId: "bench", maxParseBytes: FREE_PARSE_BYTES })));
  return cases.filter(({ what }) => what !== "valid 50 KB file").map(({ what, content, options }) => {
    const files = [{ path: "credentials/a.yaml", content }];
    const result = loadSpecs(files, { ownerId: "bench", ...options });
    if (result.ok) throw new Error(`input "${what}" was ${result.ok ? "accepted" : "refused"}`);
    const load_ms = timeMs(reps, () => loadSpecs(files, { ownerId: "bench", ...options }));
    // A file with errors is measured against the valid file of its size: what the run charges its parse for.
    const errorCase = what in ERROR_FILE_CASES;
    const floor_ms = errorCase ? validMs() : timeMs(reps, () => readOnce(content));
    const ratio = load_ms / floor_ms;
    const target = errorCase ? ERROR_RATIO_TARGET : HOSTILE_RATIO_TARGET;
    return { kind: "hostile_input", case: what, bytes: Buffer.byteLength(content), load_ms, floor_ms, ratio, targets: { ratio: { target, met: ratio <= target } } };
  });
}

export function renderHostileInput(rows: readonly HostileInputResult[]): string[] {
  const out = ["", "hostile spec files (each refused) and 50 KB files with errors (under Free's limit): loader time over one pass reading the bytes (floor)"];
  for (const r of rows) {
    out.push(`  ${r.case.padEnd(24)} ${String(r.bytes).padStart(8)} B  load ${r.load_ms.toFixed(2).padStart(7)} ms  floor ${r.floor_ms.toFixed(3).padStart(6)} ms  ratio ${r.ratio.toFixed(1).padStart(6)} (≤${r.targets.ratio.target} ${r.targets.ratio.met ? "✓" : "✗"})`);
  }
  return out;
}
