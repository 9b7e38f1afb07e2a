// The coalescing rule: merging queued requests never loses an effect somebody asked for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coalesce, nextQueued, queueKey } from "./coalesce.js";
import { effectiveMode, type RunRequest } from "./types.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const push = (sha: string, rotate?: string[]): RunRequest => ({ cause: "push", mode: "apply", sha, ...(rotate ? { rotate } : {}) });
const cron: RunRequest = { cause: "cron", mode: "apply", actor: "cron" };

describe("coalesce", () => {
  it("a push is never downgraded by a later cron tick, even in DRIFT_MODE=report", () => {
    const merged = coalesce(push(SHA_A), cron);
    expect(merged).toEqual(push(SHA_A));
    expect(effectiveMode(merged, "report")).toBe("apply");
  });

  it("a later push or manual apply replaces a pending cron tick", () => {
    expect(coalesce(cron, push(SHA_B))).toEqual(push(SHA_B));
  });

  it("rotations asked for by either request are kept", () => {
    const rotate: RunRequest = { cause: "manual", mode: "apply", rotate: ["a"] };
    expect(coalesce(rotate, push(SHA_B, ["b"]))).toEqual(push(SHA_B, ["a", "b"]));
    expect(coalesce(push(SHA_A, ["b"]), cron)).toEqual(push(SHA_A, ["b"]));
  });

  it("an allow_deletes approval never joins another request's queue entry", () => {
    const approval: RunRequest = { cause: "manual", mode: "apply", allowDeletes: true, sha: SHA_A };
    expect(queueKey(approval)).not.toBe(queueKey(push(SHA_B)));
    expect(queueKey(approval)).not.toBe(queueKey({ cause: "manual", mode: "apply", allowDeletes: true, sha: SHA_B }));
    expect(queueKey(approval)).not.toBe(queueKey(cron));
  });

  it("a release of a held commit never joins a plain apply (which would apply the head, or the last applied state, instead)", () => {
    const release: RunRequest = { cause: "manual", mode: "apply", release: SHA_A };
    expect(queueKey(release)).not.toBe(queueKey(push(SHA_B)));
    expect(queueKey(release)).not.toBe(queueKey(cron));
    expect(queueKey(release)).not.toBe(queueKey({ cause: "manual", mode: "apply", release: SHA_B }));
  });

  it("a pull request cannot ask for an apply (checked by the type checker)", () => {
    // @ts-expect-error: pull requests only ever plan.
    const bad: RunRequest = { cause: "pull_request", mode: "apply", sha: SHA_A, pr: 1 };
    // @ts-expect-error: the cron has no approval to lift the delete guards.
    const cronDeletes: RunRequest = { cause: "cron", mode: "apply", allowDeletes: true };
    expect([bad, cronDeletes]).toHaveLength(2);
  });

  it("requests of different keys refuse to merge", () => {
    expect(() => coalesce(push(SHA_A), { cause: "pull_request", mode: "plan", sha: SHA_A, pr: 1 })).toThrow(/do not coalesce/);
  });

  it("applies of the default branch run before pull-request plans, whatever arrived first", () => {
    const queue = [
      { key: "pr:7", request: { cause: "pull_request", mode: "plan", sha: SHA_A, pr: 7 } as RunRequest, at: "1" },
      { key: "plan", request: { cause: "manual", mode: "plan" } as RunRequest, at: "2" },
      { key: "apply", request: push(SHA_B), at: "3" },
    ];
    expect(nextQueued(queue)?.key).toBe("apply");
    expect(nextQueued(queue.slice(0, 2))?.key).toBe("pr:7");
  });

  it("property: merging any sequence of applies keeps the strongest effect and every rotation", () => {
    const request = fc.oneof(
      fc.record({ cause: fc.constant("push" as const), mode: fc.constant("apply" as const), sha: fc.constantFrom(SHA_A, SHA_B), rotate: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 2 }) }),
      fc.record({ cause: fc.constant("cron" as const), mode: fc.constant("apply" as const) }),
      fc.record({ cause: fc.constant("manual" as const), mode: fc.constant("apply" as const), rotate: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 8 }), (requests) => {
        const merged = requests.slice(1).reduce<RunRequest>((pending, incoming) => coalesce(pending, incoming as RunRequest), requests[0] as RunRequest);
        const asked = new Set(requests.flatMap((r) => ("rotate" in r ? r.rotate : [])));
        const kept = new Set(merged.cause === "pull_request" ? [] : (merged.rotate ?? []));
        expect(kept).toEqual(asked);
        // If anything but cron asked, the merged request applies even in report mode.
        if (requests.some((r) => r.cause !== "cron")) expect(effectiveMode(merged, "report")).toBe("apply");
      }),
    );
  });
});
