// Worker entry: the HTTP app, the cron handler and the Reconciler Durable Object.
import { Hono } from "hono";
import { DurableObject } from "cloudflare:workers";

const app = new Hono<{ Bindings: Env }>();
app.get("/healthz", (c) => c.json({ ok: true }));

export class Reconciler extends DurableObject<Env> {}

export default {
  fetch: app.fetch,
  async scheduled() {},
} satisfies ExportedHandler<Env>;
