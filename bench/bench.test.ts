// Guards the "fewest API calls" claim: the bench's N = 100 cases, through the CLI's own functions, make exactly the lower bound of calls and converge.
import { describe, expect, it } from "vitest";
import { assertConverged, caseGrid, runReconcileCase, type CaseResult } from "./reconcile-case.js";

describe("bench, N = 100", () => {
  for (const input of caseGrid([100], { quick: true })) {
    it(`k = ${input.kLabel}: api_calls equal the lower bound and a second plan is empty`, async () => {
      // Timing is not what this test checks: one untimed-warmup-free rep keeps it fast.
      const result = await runReconcileCase({ ...input, reps: 1, warmup: 0 });
      expect(result.extra_calls).toEqual([]);
      expect(result.api_calls).toBe(result.lower_bound);
      expect(result.ratio).toBe(1);
      expect(result.second_plan_changes).toBe(0);
      // One list page for 100 credentials, then one call per change.
      expect(result.lower_bound).toBe(1 + input.k);
    });
  }

  it("the convergence guard fails when a second plan still has changes", () => {
    const unconverged = { n: 100, k_label: "10", second_plan_changes: 2, second_plan_sample: ["update svc-00001", "create svc-00100"] } as CaseResult;
    expect(() => assertConverged(unconverged)).toThrow(/not converged.*2 changes/);
  });
});
