// The delivery guard: which target secrets a delivery may overwrite or delete, from our records and GitHub's metadata.
import { describe, expect, it } from "vitest";
import { parseTargetKey } from "./deliveries.js";
import { guardDelivery } from "./delivery-guard.js";
import type { Delivery, DeliveryRecord } from "./types.js";

const KEY = "acme/site:NGROK_AUTHTOKEN";
const deliver: Delivery = { action: "deliver", name: "ci", target: parseTargetKey(KEY) };
const undeliver: Delivery = { action: "undeliver", name: "ci", target: parseTargetKey(KEY) };
const ours = (written_at: string | null, extra: Partial<DeliveryRecord> = {}): DeliveryRecord => ({ key: KEY, name: "ci", id: "cr_1", written_at, at: "2027-01-01T10:00:00.500Z", ...extra });
const seen = (updated_at: string) => ({ exists: true as const, updated_at });

describe("guardDelivery", () => {
  it("an absent target, or one GitHub could not say about, is not refused here", () => {
    expect(guardDelivery(deliver, [], { exists: false })).toBeNull();
    expect(guardDelivery(undeliver, [ours("2027-01-01T10:00:00.000Z")], { exists: false })).toBeNull();
    expect(guardDelivery(deliver, [], { exists: null, error: "HTTP 502" })).toBeNull();
  });

  it("an existing secret with no record of ours is foreign: never overwritten, never deleted", () => {
    expect(guardDelivery(deliver, [], seen("2026-01-01T00:00:00Z"))).toMatch(/already exists and ngrok-gitops did not write it/);
    expect(guardDelivery(undeliver, [], seen("2026-01-01T00:00:00Z"))).toMatch(/not one ngrok-gitops wrote/);
  });

  it("ours while updated_at is no later than GitHub's clock at our write; later is someone else's", () => {
    const records = [ours("2027-01-01T10:00:01.000Z")];
    expect(guardDelivery(deliver, records, seen("2027-01-01T10:00:01Z"))).toBeNull();
    expect(guardDelivery(undeliver, records, seen("2027-01-01T10:00:00Z"))).toBeNull();
    // Within CLOCK_SKEW_MS (2 s) GitHub's two clocks may disagree: still ours.
    expect(guardDelivery(deliver, records, seen("2027-01-01T10:00:03Z"))).toBeNull();
    expect(guardDelivery(deliver, records, seen("2027-01-01T10:00:04Z"))).toMatch(/changed on GitHub since ngrok-gitops wrote it/);
    expect(guardDelivery(undeliver, records, seen("2027-01-01T10:00:04Z"))).toMatch(/left in place and no longer tracked/);
  });

  it("a record without GitHub's clock (older, or no Date header) is judged by our clock at the write", () => {
    expect(guardDelivery(deliver, [ours(null)], seen("2027-01-01T10:00:00Z"))).toBeNull();
    expect(guardDelivery(deliver, [ours(null, { at: undefined })], seen("2027-01-01T10:00:00Z"))).toMatch(/changed on GitHub/);
    expect(guardDelivery(deliver, [ours(null)], seen("2027-01-01T10:00:03Z"))).toMatch(/changed on GitHub/);
  });

  it("names compare case-insensitively, as on GitHub", () => {
    expect(guardDelivery({ ...deliver, target: parseTargetKey("ACME/Site:ngrok_authtoken") }, [ours("2027-01-01T10:00:01.000Z")], seen("2027-01-01T10:00:00Z"))).toBeNull();
  });

  it("a secret another credential also delivers to is never deleted with one of them", () => {
    const records = [ours("2027-01-01T10:00:01.000Z"), ours("2027-01-01T10:00:09.000Z", { name: "web", id: "cr_2" })];
    expect(guardDelivery(undeliver, records, seen("2027-01-01T10:00:09Z"))).toBe('"web" delivers to this secret too: it is left in place');
    // And a delivery may overwrite what another credential of ours put there.
    expect(guardDelivery(deliver, records, seen("2027-01-01T10:00:09Z"))).toBeNull();
  });
});
