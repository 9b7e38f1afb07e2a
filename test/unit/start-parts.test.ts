// Small parts of `npm start`: a refusal printed once, a held run and the ways on, the example repository's reviews, a long run waited for while it moves, and a Worker that names its configuration problems stops the wait at once.
import { describe, expect, it } from "vitest";
import { formatRun, readStatus, RunWatch } from "../../dev/run-status.js";
import { EXAMPLE_FILES, heldHint, REVIEWER_LOGIN } from "../../dev/start-review.js";
import { configurationProblems } from "../../dev/wrangler-dev.js";
import { loadPolicy } from "../../src/desired/repo-policy-file.js";
import { ownersOf, ownerText, parseCodeowners } from "../../src/review/codeowners.js";

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

describe("a held run", () => {
  const held = readStatus({
    last: { id: 4, cause: "push", sha: "abcdef1234567890abcdef1234567890abcdef12", status: "held", plan_text: "  + web will be created\n", outcomes: [], errors: ["#3 has 0 approvals that count; the policy requires 1", "web (credentials/web.yaml) needs an approval from @npm-start-reviewer"] },
    held: { sha: "abcdef1234567890abcdef1234567890abcdef12", pr: 3, at: "2026-12-04T00:00:00Z", reasons: [], missing: [] },
  });

  it("prints who must approve under a Held heading, and /api/status's held commit is read", () => {
    const run = held.last;
    if (run === null) throw new Error("no run");
    expect(formatRun(run)).toContain("Held for want of reviews (nothing was applied):\n  #3 has 0 approvals that count; the policy requires 1\n  web (credentials/web.yaml) needs an approval from @npm-start-reviewer\n");
    expect(held.held).toEqual({ sha: run.sha, pr: 3 });
    expect(readStatus({ held: null }).held).toBeNull();
  });

  it("says how to go on: approve the merged pull request (a), or release it as the operator (r); a direct push has only the release", () => {
    const run = held.last;
    if (run === null) throw new Error("no run");
    const merged = heldHint(run, 3);
    expect(merged).toContain(`Press a and Enter to approve it as @${REVIEWER_LOGIN}`);
    expect(merged).toContain(`r and Enter to release it as the operator (POST /api/reconcile {"release":"${run.sha}"}, audited)`);
    const direct = heldHint(run, null);
    expect(direct).toContain("pushed straight to main, with no pull request behind it");
    expect(direct).not.toContain("Press a ");
    expect(direct).toContain("r and Enter to release it");
  });
});

describe("the example repository", () => {
  it("turns reviews on with one approval, and CODEOWNERS makes the second local user the owner of every credential file", () => {
    const policy = loadPolicy({ path: "ngrok-gitops.policy.yaml", content: EXAMPLE_FILES["ngrok-gitops.policy.yaml"] ?? "" });
    expect(policy.ok && policy.policy.review?.approvals).toBe(1);
    const owners = parseCodeowners(".github/CODEOWNERS", EXAMPLE_FILES[".github/CODEOWNERS"] ?? "");
    if (!owners.ok) throw new Error(JSON.stringify(owners.errors));
    for (const file of ["credentials/ci.yaml", "credentials/teams/devices.yaml"]) expect(ownersOf(owners.codeowners, file).owners.map(ownerText)).toEqual([`@${REVIEWER_LOGIN}`]);
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

describe("RunWatch", () => {
  const at = (applied: number, invocations: number, stage = "apply") =>
    readStatus({ progress: { run: 7, stage, listed: 1, changes: 300, applied, invocations, max_subrequests: 50, eta: "2026-12-01T23:30:00.000Z", eta_ms: (300 - applied) * 500 } }).progress;

  it("waits as long as the run moves: the timeout counts from the last progress, not from the start", () => {
    const watch = new RunWatch(120_000, 25, 0);
    // A 300-credential first apply paced to 120 calls a minute: well past the stall timeout in all.
    for (let t = 0, applied = 0, invocation = 1; t <= 150_000; t += 30_000, applied += 60, invocation++) {
      watch.observe(at(Math.min(applied, 299), invocation), t);
      expect(watch.stalled(t + 60_000), `at ${t} ms`).toBe(false);
    }
    // Then nothing moves (the same progress, seen again later): given up the stall timeout after it last moved.
    watch.observe(at(299, 6), 200_000);
    expect(watch.stalled(269_999)).toBe(false);
    expect(watch.stalled(270_000)).toBe(true);
    // No progress at all (the Worker never started the run): the timeout from the start.
    const idle = new RunWatch(120_000, 25, 0);
    expect(idle.observe(null, 100_000)).toBeNull();
    expect(idle.stalled(120_000)).toBe(true);
  });

  it("prints a line every 25 changes of a long apply, with the ETA, as the CLI does; nothing for a short one", () => {
    const watch = new RunWatch(120_000, 25, 0);
    const lines = [0, 10, 24, 25, 26, 49, 60, 299, 300].map((n) => watch.observe(at(n, 1), 0));
    expect(lines).toEqual([null, null, null, "25/300 changes, ETA 2m18s (23:30:00.000Z)", null, null, "60/300 changes, ETA 2m00s (23:30:00.000Z)", "299/300 changes, ETA 1s (23:30:00.000Z)", null]);
    expect(new RunWatch(120_000, 25, 0).observe(readStatus({ progress: { run: 1, stage: "apply", changes: 20, applied: 19 } }).progress, 0)).toBeNull();
    expect(new RunWatch(120_000, 25, 0).observe(at(100, 1, "list"), 0)).toBeNull();
  });
});
