// The Durable Object's scratch keeps the other kinds' listing in its own table (run_kind_live), a list apart from the next, read a slice at a time.
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { bindings } from "./support.js";

it("adds, counts and reads each kind's items apart, in one order slice by slice, and clears them with the run", async () => {
  const result = await runInDurableObject(bindings.RECONCILER.getByName("kind-scratch"), async (_instance, state) => {
    const { scratch } = new ReconcilerStorage(state.storage.sql);
    const keys = Array.from({ length: 25 }, (_, i) => ({ id: `ak_${String(24 - i).padStart(3, "0")}`, created_at: "2026-01-01T00:00:00Z", description: "d", metadata: `{"n":${i}}`, owner_id: "bot_1" }));
    scratch.addKindLive("api_keys", keys.slice(0, 20));
    // A page read again (a stop that lost its step) adds nothing twice.
    scratch.addKindLive("api_keys", keys.slice(10));
    scratch.addKindLive("service_users", [{ id: "bot_1", created_at: "2026-01-01T00:00:00Z", name: "ci [ngrok-gitops:o]", active: true }]);
    const slices = [];
    for (let offset = 0; offset < scratch.kindLiveCount("api_keys"); offset += 7) slices.push(scratch.loadKindLive("api_keys", { offset, limit: 7 }).map((item) => item.id));
    const counts = [scratch.kindLiveCount("api_keys"), scratch.kindLiveCount("service_users"), scratch.kindLiveCount("ssh_credentials")];
    const users = scratch.loadKindLive("service_users");
    scratch.clearKindLive();
    const cleared = scratch.kindLiveCount("api_keys") + scratch.kindLiveCount("service_users");
    scratch.addKindLive("api_keys", keys.slice(0, 1));
    scratch.clear();
    return { slices, counts, users, cleared, afterClear: scratch.kindLiveCount("api_keys") };
  });
  expect(result.counts).toEqual([25, 1, 0]);
  expect(result.slices.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `ak_${String(i).padStart(3, "0")}`));
  expect(result.slices.map((slice) => slice.length)).toEqual([7, 7, 7, 4]);
  expect(result.users).toEqual([{ id: "bot_1", created_at: "2026-01-01T00:00:00Z", name: "ci [ngrok-gitops:o]", active: true }]);
  expect([result.cleared, result.afterClear]).toEqual([0, 0]);
});
