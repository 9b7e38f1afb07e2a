// Test order: the files that take longest start first, so a busy 2-core runner ends on short files, not on a long one started late.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Slowest first, as measured on a loaded runner (fresh clone, both cores busy): CPU-bound property tests and the
 * tests that start wrangler, npm or the bin. Without a cache vitest orders by project name and then file size,
 * which started src/desired/fuzz.test.ts (the longest file) after 200 s. A file missing here only runs later.
 */
export const LONG_FIRST: readonly string[] = [
  "src/desired/fuzz.test.ts",
  "test/e2e/start.test.ts",
  "test/e2e/production.test.ts",
  "test/e2e/deploy.test.ts",
  "test/e2e/plain-summary.test.ts",
  "src/desired/json-schema.test.ts",
  "test/e2e/cli-bin.test.ts",
  "test/e2e/kill-wrangler.test.ts",
];

export default class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const at = LONG_FIRST.findIndex((path) => spec.moduleId.replaceAll("\\", "/").endsWith(`/${path}`));
      return at === -1 ? LONG_FIRST.length : at;
    };
    // Stable: files not listed keep vitest's order (failed first, then longest in its cache, then largest).
    return sorted.map((spec, index) => ({ spec, index })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.index - b.index).map(({ spec }) => spec);
  }
}
