// The closing "N passed, N failed" line counts every failure vitest reports, read from real vitest runs on fixtures.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const config = join(root, "test", "fixtures", "plain-summary", "vitest.config.ts");

function runFixture(file: string): { line: string; status: number | null } {
  const run = spawnSync(process.execPath, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", config, file], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
    timeout: 120_000,
  });
  const lines = run.stdout.split("\n").filter((l) => l.trim() !== "");
  return { line: lines.at(-1) ?? "", status: run.status };
}

describe("plain summary line", () => {
  it.each([
    ["passing.fixture.ts", "2 passed, 0 failed, 1 skipped", 0],
    ["failing-test.fixture.ts", "1 passed, 1 failed", 1],
    ["failing-after-all.fixture.ts", "1 passed, 1 failed", 1],
    ["failing-before-all.fixture.ts", "1 passed, 1 failed, 1 skipped", 1],
    ["load-error.fixture.ts", "0 passed, 1 failed", 1],
    ["unhandled.fixture.ts", "1 passed, 1 failed", 1],
  ])("%s ends with %s", (file, expected, status) => {
    const run = runFixture(file);
    expect(run.line).toBe(expected);
    expect(run.status).toBe(status);
  }, 180_000);
});
