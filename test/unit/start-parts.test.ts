// Small parts of `npm start`: a refusal printed once, and a Worker that names its configuration problems stops the wait at once.
import { describe, expect, it } from "vitest";
import { formatRun, readStatus } from "../../src/cli/run-status";
import { configurationProblems } from "../../src/cli/wrangler-dev";

describe("formatRun", () => {
  it("prints a refusal once: it is in the plan text already", () => {
    const refusal = "[MAX_DELETES] the plan deletes 12 credentials; MAX_DELETES is 10 (allow it explicitly to proceed)";
    const run = readStatus({
      last: { id: 3, cause: "push", sha: "abcdef1234", status: "refused", plan_text: `Refused: nothing will be applied.\n  ✗ ${refusal}\n`, outcomes: [], errors: [refusal] },
    }).last;
    if (run === null) throw new Error("no run");
    const text = formatRun(run);
    expect(text.split(refusal)).toHaveLength(2);
    expect(text).not.toContain("Refused (nothing was applied):");
  });
});

describe("configurationProblems", () => {
  it("lists what a 503 /healthz names; anything else means wrangler is still starting", () => {
    expect(configurationProblems(JSON.stringify({ ok: false, problems: ["MAX_DELETES is not a number", { name: "OWNER_ID", problem: "placeholder" }] }))).toBe(
      'MAX_DELETES is not a number; {"name":"OWNER_ID","problem":"placeholder"}',
    );
    expect(configurationProblems(JSON.stringify({ ok: false, reason: "x" }))).toBe('{"ok":false,"reason":"x"}');
    expect(configurationProblems("Service Unavailable")).toBeNull();
    expect(configurationProblems(JSON.stringify({ ok: true }))).toBeNull();
  });
});
