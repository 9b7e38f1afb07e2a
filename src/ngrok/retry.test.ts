// Retry timing: full-jitter bounds and Retry-After parsing.
import { describe, expect, it } from "vitest";
import { fullJitterDelay, retryAfterMs } from "./retry.js";

describe("fullJitterDelay", () => {
  it("is uniform below min(cap, base·2^attempt)", () => {
    expect(fullJitterDelay(0, 250, 10_000, () => 0.999999)).toBe(249);
    expect(fullJitterDelay(3, 250, 10_000, () => 0.5)).toBe(1000);
    expect(fullJitterDelay(20, 250, 10_000, () => 0.999999)).toBe(9999);
    expect(fullJitterDelay(5, 250, 10_000, () => 0)).toBe(0);
  });
});

describe("retryAfterMs", () => {
  const now = Date.UTC(2024, 0, 1);
  it("reads seconds and HTTP-dates, clamps to [0, cap], ignores junk", () => {
    expect(retryAfterMs("3", 60_000, now)).toBe(3000);
    expect(retryAfterMs("0.5", 60_000, now)).toBe(500);
    expect(retryAfterMs(new Date(now + 10_000).toUTCString(), 60_000, now)).toBe(10_000);
    expect(retryAfterMs(new Date(now - 10_000).toUTCString(), 60_000, now)).toBe(0);
    expect(retryAfterMs("86400", 60_000, now)).toBe(60_000);
    expect(retryAfterMs("soon", 60_000, now)).toBeUndefined();
    expect(retryAfterMs(null, 60_000, now)).toBeUndefined();
  });
});
