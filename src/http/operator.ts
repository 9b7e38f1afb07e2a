// The operator API under /api/: status, audit, run now, reveal a token. Bearer ADMIN_TOKEN, compared in constant time.
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { problemLine } from "../config.js";
import { NAME_PATTERN } from "../desired/schema.js";
import type { EnqueueResult } from "../reconciler/reconciler.js";
import type { AuditQuery, Caller } from "../reconciler/types.js";

export const operator = new Hono<{ Bindings: Env }>();

/** Shorter bearer tokens are guessable enough that the operator API, which reveals tokens, stays closed. */
export const ADMIN_TOKEN_MIN_CHARS = 32;

const unauthorized = { error: "unauthorized" };

/** Why the operator API is closed whatever the request carries, or null when ADMIN_TOKEN is usable. Never the token itself. */
export function adminTokenProblem(token: string | undefined): string | null {
  if (!token) return "ADMIN_TOKEN is not set: the operator API stays closed until it is (wrangler secret put ADMIN_TOKEN)";
  if (token.length < ADMIN_TOKEN_MIN_CHARS) {
    return `ADMIN_TOKEN is shorter than ${ADMIN_TOKEN_MIN_CHARS} characters: the operator API stays closed until a longer one is set (e.g. openssl rand -hex 32)`;
  }
  return null;
}

/** Who called, for the audit log: the client address Cloudflare saw and the User-Agent, cut short and printable. */
export function callerOf(header: (name: string) => string | undefined): Caller {
  const clean = (value: string | undefined, max: number) => (value ? value.replace(/[^\x20-\x7e]/g, "?").slice(0, max) : null);
  return { ip: clean(header("CF-Connecting-IP"), 64), user_agent: clean(header("User-Agent"), 256) };
}

operator.use("*", async (c, next) => {
  const problem = adminTokenProblem(c.env.ADMIN_TOKEN);
  if (problem) return c.json({ error: "operator API closed", reason: problem }, 503);
  return next();
});
// The contract is "401 without it": a header that is not a well-formed bearer token is no token at all.
// (hono's bearer-auth would answer such headers 400, as RFC 6750 allows.)
operator.use("*", async (c, next) => {
  if (!/^Bearer [A-Za-z0-9\-._~+/]+=*$/.test(c.req.header("Authorization") ?? "")) return c.json(unauthorized, 401);
  return next();
});
operator.use(
  "*",
  bearerAuth<{ Bindings: Env }>({
    // No ADMIN_TOKEN configured means no operator access at all, never open access.
    verifyToken: async (token, c) => adminTokenProblem(c.env.ADMIN_TOKEN) === null && (await timingSafeEqual(token, c.env.ADMIN_TOKEN)),
    noAuthenticationHeader: { message: unauthorized },
    invalidAuthenticationHeader: { message: unauthorized },
    invalidToken: { message: unauthorized },
  }),
);

const reconciler = (env: Env) => env.RECONCILER.getByName(env.GITHUB_REPOSITORY);

operator.get("/status", async (c) => c.json(await reconciler(c.env).status()));

operator.get("/runs/:id", async (c) => {
  const text = c.req.param("id");
  const run = /^[1-9][0-9]{0,15}$/.test(text) ? await reconciler(c.env).run(Number.parseInt(text, 10)) : null;
  return run ? c.json(run) : c.json({ error: "no such run" }, 404);
});

operator.get("/audit", async (c) => {
  const q = c.req.query();
  const query: AuditQuery = {};
  for (const key of ["name", "sha", "since", "until", "kind"] as const) if (q[key]) query[key] = q[key];
  for (const key of ["before", "limit"] as const) {
    if (q[key] === undefined) continue;
    if (!/^\d+$/.test(q[key])) return c.json({ error: `${key} must be a whole number` }, 400);
    query[key] = Number.parseInt(q[key], 10);
  }
  return c.json(await reconciler(c.env).audit(query));
});

async function runNow(c: { req: { json(): Promise<unknown>; header(name: string): string | undefined }; env: Env }, mode: "plan" | "apply") {
  let allowDeletes = false;
  let sha: string | undefined;
  let release: string | undefined;
  try {
    const body = (await c.req.json()) as { allow_deletes?: unknown; sha?: unknown; release?: unknown };
    allowDeletes = body.allow_deletes === true;
    if (mode === "apply" && typeof body.release === "string" && /^[0-9a-f]{40}$/.test(body.release)) release = body.release;
    // The commit the approval is for: when the head has moved on by the time the run starts, it lapses.
    if (typeof body.sha === "string" && /^[0-9a-f]{40}$/.test(body.sha)) sha = body.sha;
  } catch {
    // An empty body is fine.
  }
  if (release) return reconciler(c.env).release(release, "operator", callerOf((n) => c.req.header(n)));
  return reconciler(c.env).enqueue({ cause: "manual", mode, actor: "operator", caller: callerOf((n) => c.req.header(n)), ...(allowDeletes ? { allowDeletes } : {}), ...(sha ? { sha } : {}) });
}

/** 202 once queued; 503 naming the bad configuration values when no run can start. */
function queued(c: { json(body: unknown, status: 202 | 409 | 503): Response }, result: EnqueueResult, extra: Record<string, unknown> = {}): Response {
  if (!result.queued && result.reason === "not_held") return c.json({ error: "that commit is not held: nothing was released", held: result.held }, 409);
  if (!result.queued && result.reason === "config") return c.json({ error: "configuration invalid: no run starts until it is fixed", config_errors: result.problems.map(problemLine) }, 503);
  return c.json({ ...result, ...extra }, 202);
}

operator.post("/plan", async (c) => queued(c, await runNow(c, "plan")));
operator.post("/reconcile", async (c) => queued(c, await runNow(c, "apply")));

/** Ends the run in progress (a stuck or unwanted one): 200 with the run id (null when none) and when it takes effect. Audited. */
operator.post("/runs/current/cancel", async (c) => c.json(await reconciler(c.env).cancelCurrent("operator", callerOf((n) => c.req.header(n)))));

/** Rotates a credential now: a new token is minted, stored and delivered; the old one works through the grace window. */
operator.post("/credentials/:name/rotate", async (c) => {
  const name = c.req.param("name");
  if (!NAME_PATTERN.test(name)) return c.json({ error: "not a credential name" }, 400);
  const result = await reconciler(c.env).enqueue({ cause: "manual", mode: "apply", actor: "operator", rotate: [name], caller: callerOf((n) => c.req.header(n)) });
  return queued(c, result, { rotate: name });
});

/** After prepending a new key to TOKEN_ENCRYPTION_KEYS: re-seal stored tokens under it, as a queued job between runs (its result is audited, kind key_rotation). */
operator.post("/keys/rewrap", async (c) => queued(c, await reconciler(c.env).enqueueRewrap("operator", callerOf((n) => c.req.header(n)))));

operator.get("/credentials/:name/token", async (c) => {
  // hono answers HEAD with this GET route (body dropped), which would read and audit the token and tell by its
  // status whether one is stored. HEAD gets the same answer for every name, and reads nothing.
  if (c.req.raw.method === "HEAD") {
    c.header("Allow", "GET");
    c.header("Cache-Control", "no-store");
    return c.body(null, 405);
  }
  const name = c.req.param("name");
  if (!NAME_PATTERN.test(name)) return c.json({ error: "no such credential" }, 404);
  c.header("Cache-Control", "no-store");
  const token = await reconciler(c.env).readToken(name, "operator", callerOf((n) => c.req.header(n)));
  if (!token) return c.json({ error: `no token stored for "${name}"` }, 404);
  return c.json({ name: token.name, id: token.id, token: token.token });
});
