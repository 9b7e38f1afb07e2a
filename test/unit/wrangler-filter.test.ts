// npm start's quiet mode: of wrangler's lines (as wrangler 4 prints them, colours included) only our Worker's errors are shown.
import { describe, expect, it } from "vitest";
import { QUIET_WRANGLER_ENV } from "../../dev/wrangler-dev.js";
import { stripAnsi, WranglerLineFilter } from "../../dev/wrangler-filter.js";

/** A real `wrangler dev` session offline, as npm start received it (ports and ids vary). */
const SESSION = [
  " ⛅️ wrangler 4.86.0 (update available 4.164.0)",
  "──────────────────────────────────────────────",
  "Using secrets defined in .dev.vars",
  "Your Worker has access to the following bindings:",
  "Binding                                                           Resource                  Mode",
  "env.RECONCILER (Reconciler)                                       Durable Object            local",
  'env.TOKENS (00000000000000000000000000000000)                     KV Namespace              local',
  'env.NGROK_API_URL ("(hidden)")                                    Environment Variable      local',
  'env.MAX_DELETES ("10")                                            Environment Variable      local',
  "❓ Your types might be out of date. Re-run `wrangler types` to ensure your types are correct.",
  "[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...",
  "Error: getaddrinfo ENOTFOUND workers.cloudflare.com",
  "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)",
  "    at GetAddrInfoReqWrap.callbackTrampoline (node:internal/async_hooks:130:17)",
  "\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mScheduled Workers are not automatically triggered during local development.\u001b[0m",
  "  To manually trigger a scheduled event, run:",
  '    curl "http://127.0.0.1:28787/cdn-cgi/handler/scheduled"',
  "⎔ Starting local server...",
  "[wrangler:info] Ready on http://127.0.0.1:28787",
  "[wrangler:info] GET /healthz 200 OK (602ms)",
  "[wrangler:info] GET /api/status 200 OK (15ms)",
  "[wrangler:info] POST /webhooks/github 202 Accepted (11ms)",
];

/** Errors of ours: an exception in the Worker with its stack, our console.error, a 5xx we answered. */
const OURS = [
  "✘ [ERROR] Uncaught TypeError: Cannot read properties of undefined (reading 'sha')",
  "    at reconcile (file:///src/run/reconcile.ts:48:12)",
  "unhandled error TypeError",
  "[wrangler:info] POST /api/reconcile 500 Internal Server Error (4ms)",
];

function shown(lines: string[]): string[] {
  const filter = new WranglerLineFilter();
  return lines.filter((line) => filter.verdict(line) === "show");
}

describe("WranglerLineFilter", () => {
  it("hides a whole offline session: banner, bindings, types notice, Request.cf DNS error, cron notice, request log", () => {
    expect(shown(SESSION)).toEqual([]);
  });

  it("shows the Worker's errors with their stack, and only those", () => {
    expect(shown([...SESSION.slice(0, 12), ...OURS, ...SESSION.slice(12)])).toEqual(OURS);
  });

  it("a hidden block ends at the next line that is not indented", () => {
    expect(shown(["[wrangler:warn] Unable to fetch the `Request.cf` object!", "    at x (y:1:2)", "✘ [ERROR] boom", "    at z (w:3:4)"])).toEqual(["✘ [ERROR] boom", "    at z (w:3:4)"]);
  });

  it("strips colour codes before judging", () => {
    expect(stripAnsi("\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m x")).toBe("✘ [ERROR] x");
    expect(shown(["\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mBuild failed\u001b[0m"])).toHaveLength(1);
  });

  it("wrangler is started without metrics and without its banner (and so without its npm update check)", () => {
    expect(QUIET_WRANGLER_ENV).toEqual({ WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" });
  });
});
