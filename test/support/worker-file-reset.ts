// Setup file of the `worker` project: before each test file, deletes every Durable Object and KV entry the files before it left, so the one workerd runtime they share keeps storage per file.
import { env, reset, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";

/** Left by each file after its tests, in a Durable Object of its own (never the one the tests use) and in KV. */
const MARKER = "worker-file-reset:left-by-the-file-before";
const probe = () => env.RECONCILER.getByName(MARKER);

/**
 * The text bindings (vars and secrets) as the first file found them, kept on the isolate's global because this
 * module is evaluated again for every file. The Durable Object's `env` is this same object, so a binding a file
 * changed and did not put back would otherwise reach every later file.
 */
const stash = globalThis as { __workerFileResetVars?: Record<string, string> };
const configured = (stash.__workerFileResetVars ??= Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string")));
if (!("NGROK_RATE_LIMIT" in configured)) throw new Error("worker-file-reset: the text bindings could not be read from env");

/**
 * The files share one runtime and its module cache (`isolate: false`), which saves starting workerd and importing
 * the Worker once per file. What a fresh runtime gave each file is restored here: `reset()` deletes every Durable
 * Object's storage and alarm and aborts its instance (KV lives in a Durable Object inside miniflare, so it goes
 * too), and the text bindings get their configured values back. The markers the file before left must be gone
 * after it, or this file fails rather than run on old state.
 */
beforeAll(async () => {
  Object.assign(env, configured);
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
