// A last line any CI reads: "N passed, N failed" (with ", N skipped"), after vitest's own summary.
//
// "failed" counts every failure vitest reports, not only failed tests: errors in hooks and suites
// (a failing beforeAll/afterAll), files that fail to load, and unhandled errors. If vitest still
// says the run failed while nothing here was counted, the line says so with one failure: it never
// reads "0 failed" for a run that did not pass.
import type { Reporter, TestModule, TestRunEndReason, TestSuite } from "vitest/node";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countRun(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): Counts {
  const counts: Counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const module of testModules) {
    let moduleFailures = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed++;
      else if (state === "failed") moduleFailures++;
      else counts.skipped++;
    }
    // Errors outside any test: a hook of the file or of a suite, or collection (a file that fails to load).
    const containers: (TestModule | TestSuite)[] = [module, ...module.children.allSuites()];
    for (const container of containers) moduleFailures += container.errors().length;
    // A module vitest marks failed, with nothing above to show for it, still failed once.
    if (moduleFailures === 0 && module.state() === "failed") moduleFailures = 1;
    counts.failed += moduleFailures;
  }
  if (reason !== "passed" && counts.failed === 0) counts.failed = 1;
  return counts;
}

export const formatCounts = ({ passed, failed, skipped }: Counts) => `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;

export default class PlainSummary implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    console.log(`\n${formatCounts(countRun(testModules, unhandledErrors, reason))}`);
  }
}
