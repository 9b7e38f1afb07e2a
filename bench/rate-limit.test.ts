// Guards the rate-limit bench's claims on a small case: a 300-credential first apply at 120/60s meets the window floor with no 429s, and stays near it sharing the account.
import { describe, expect, it } from "vitest";
import { floorChainSeconds, floorSeconds, runRateCase } from "./rate-limit.js";

describe("rate-limit bench, N = 300", () => {
  it("alone: 0 429s, never more than 120 calls in any 60 s, within 5 % of the 120 s floor", { timeout: 60_000 }, async () => {
    const r = await runRateCase({ n: 300, change: "first", neighbourShare: 0 });
    expect(r.converged).toBe(true);
    expect(r.calls).toBe(301);
    expect(r.floor_s).toBe(120);
    expect(r.http_429).toBe(0);
    expect(r.max_calls_per_window).toBe(120);
    expect(r.ratio).not.toBeNull();
    expect(r.ratio ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(1.05);
    expect(r.eta_at_start_s).toBe(120);
  });

  it("sharing with a neighbour at 25 %: a handful of 429s at most, within 1.35 of the 90-per-window floor", { timeout: 60_000 }, async () => {
    const r = await runRateCase({ n: 300, change: "first", neighbourShare: 0.25 });
    expect(r.converged).toBe(true);
    expect(r.floor_s).toBe(180);
    expect(r.http_429).toBeLessThanOrEqual(6);
    expect(r.neighbour_429).toBe(0);
    expect(r.ratio ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(1.35);
  });

  it("floor arithmetic: whole windows after the first, and list pages as a chain of round trips", () => {
    expect(floorSeconds(120, 120, 60_000)).toBe(0);
    expect(floorSeconds(121, 120, 60_000)).toBe(60);
    expect(floorSeconds(10_100, 120, 60_000)).toBe(84 * 60);
    // 100 pages then 100 changes: the 80 changes past the first window wait for pages 1..80 to expire.
    expect(floorChainSeconds(200, 100, 120, 60_000, 100)).toBeCloseTo(60 + 79 * 0.1 + 0.1, 6);
    expect(floorChainSeconds(20, 10, 120, 60_000, 100)).toBeCloseTo(1.1, 6);
  });
});
