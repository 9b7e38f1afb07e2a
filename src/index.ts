// Worker entry: the HTTP app (webhook, operator API, health), the cron trigger, and the Reconciler Durable Object.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { configProblems, problemLine } from "./config.js";
import { adminTokenProblem, operator } from "./http/operator.js";
import { webhook } from "./http/webhook.js";

export { Reconciler } from "./reconciler/reconciler.js";

const app = new Hono<{ Bindings: Env }>();
app.use("*", secureHeaders());
// 503 names every bad or placeholder configuration value (never a secret's value); no run starts until it is fixed.
app.get("/healthz", async (c) => {
  const errors = configProblems(c.env).map(problemLine);
  // A missing ADMIN_TOKEN is a config problem already; a short one only closes the operator API, but is as bad.
  const admin = c.env.ADMIN_TOKEN ? adminTokenProblem(c.env.ADMIN_TOKEN) : null;
  if (admin !== null) errors.push(admin);
  // Whether applies are gated on reviews is no secret, and saying so keeps nobody assuming they are.
  if (errors.length === 0) return c.json({ ok: true, reviews: await c.env.RECONCILER.getByName(c.env.GITHUB_REPOSITORY).reviewMode() });
  return c.json({ ok: false, config_errors: errors }, 503);
});
app.route("/webhooks/github", webhook);
app.route("/api", operator);
app.notFound((c) => c.json({ error: "not found" }, 404));
app.onError((error, c) => {
  // hono's own middleware (bearer-auth, body-limit) answers by throwing an HTTPException.
  if (error instanceof HTTPException) return error.getResponse();
  // The message may come from a dependency: log the kind of error, answer without details.
  console.error("unhandled error", error instanceof Error ? error.name : typeof error);
  return c.json({ error: "internal error" }, 500);
});

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, _ctx) {
    // Drift correction: plan (and in DRIFT_MODE=correct, apply) the default branch head.
    await env.RECONCILER.getByName(env.GITHUB_REPOSITORY).enqueue({ cause: "cron", mode: "apply", actor: "cron" });
  },
} satisfies ExportedHandler<Env>;
