// Setup file of the `worker` project: before each test file, deletes every Durable Object and KV entry the files before it left, so the one workerd runtime they share keeps storage per file.
import { env, reset, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";

/** Left by each file after its tests, in a Durable Object of its own (never the one the tests use) and in KV. */
const MARKER = "worker-file-reset:left-by-the-file-before";
const probe = () => env.RECONCILER.getByName(MARKER);

/**
 * The files share one runtime and its module cache (`isolate: false`), which saves starting workerd and importing
 * the Worker once per file. What a fresh runtime gave each file is restored here: `reset()` deletes every Durable
 * Object's storage and alarm and aborts its instance (KV lives in a Durable Object inside miniflare, so it goes
 * too). The markers the file before left must be gone after it, or this file fails rather than run on old state.
 */
beforeAll(async () => {
  await reset();
  const kv = await env.TOKENS.list({ limit: 1 });
  if (kv.keys.length > 0) throw new Error(`worker-file-reset: KV TOKENS still holds "${kv.keys[0]?.name}" after reset()`);
  const left = await runInDurableObject(probe(), (_instance, state) => state.storage.kv.get(MARKER));
  if (left !== undefined) throw new Error("worker-file-reset: a Durable Object kept the previous file's storage after reset()");
  await reset();
});

afterAll(async () => {
  await env.TOKENS.put(MARKER, "1");
  await runInDurableObject(probe(), (_instance, state) => state.storage.kv.put(MARKER, 1));
});
