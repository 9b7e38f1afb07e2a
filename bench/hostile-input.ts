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
  return Object.entries(HOSTILE_CASES).map(([what, content]) => {
    const files = [{ path: "credentials/a.yaml", content }];
    const result = loadSpecs(files, { ownerId: "bench" });
    if (result.ok) throw new Error(`hostile input "${what}" was accepted`);
    const load_ms = timeMs(reps, () => loadSpecs(files, { ownerId: "bench" }));
    const floor_ms = timeMs(reps, () => readOnce(content));
    const ratio = load_ms / floor_ms;
    return { kind: "hostile_input", case: what, bytes: Buffer.byteLength(content), load_ms, floor_ms, ratio, targets: { ratio: { target: HOSTILE_RATIO_TARGET, met: ratio <= HOSTILE_RATIO_TARGET } } };
  });
}

export function renderHostileInput(rows: readonly HostileInputResult[]): string[] {
  const out = ["", "hostile spec files (each refused): loader time over one pass reading the bytes (floor)"];
  for (const r of rows) {
    out.push(`  ${r.case.padEnd(24)} ${String(r.bytes).padStart(8)} B  load ${r.load_ms.toFixed(2).padStart(7)} ms  floor ${r.floor_ms.toFixed(3).padStart(6)} ms  ratio ${r.ratio.toFixed(1).padStart(6)} (≤${r.targets.ratio.target} ${r.targets.ratio.met ? "✓" : "✗"})`);
  }
  return out;
}
