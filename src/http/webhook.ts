// POST /webhooks/github: verify the signature before reading anything, then hand the event to the repository's Durable Object.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { problemLine } from "../config.js";
import { isWebhookEvent } from "../github/events.js";
import type { RunRequest } from "../reconciler/types.js";
import { commandOf, type CommentPayload } from "./commands.js";
import { verifySignature } from "./signature.js";

/** GitHub caps payloads at 25 MB; a push of ours is far smaller. Anything bigger is refused unread. */
export const WEBHOOK_MAX_BYTES = 5 * 1024 * 1024;
const PR_ACTIONS = new Set(["opened", "synchronize", "reopened"]);
/** GitHub's delivery ids are GUIDs; anything printable and short is accepted, nothing that could smuggle text. */
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** JSON is UTF-8 (RFC 8259): a body that is not is malformed, not silently repaired with U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** GitHub owner and repository names are case-insensitive: `Acme/Infra` is `acme/infra`. */
export function sameRepository(a: unknown, b: string): boolean {
  return typeof a === "string" && a.toLowerCase() === b.toLowerCase();
}

interface Payload {
  repository?: { full_name?: string; default_branch?: string };
  sender?: { login?: string };
  // push
  ref?: string;
  after?: string;
  deleted?: boolean;
  // pull_request
  action?: string;
  number?: number;
  pull_request?: { number?: number; head?: { sha?: string }; state?: string; merged_at?: string | null; merge_commit_sha?: string | null };
  /** pull_request `edited`: what changed; `base` when the PR was retargeted to another branch. */
  changes?: { base?: unknown };
}

/** `edited` only matters when the base changed (a retargeted PR is planned again); a new title or body changes no plan. */
function plansAgain(payload: Payload): boolean {
  return PR_ACTIONS.has(payload.action ?? "") || (payload.action === "edited" && payload.changes?.base !== undefined);
}

export const webhook = new Hono<{ Bindings: Env }>();

webhook.post(
  "/",
  bodyLimit({ maxSize: WEBHOOK_MAX_BYTES, onError: (c) => c.json({ error: "payload too large" }, 413) }),
  async (c) => {
    // The bytes as received: the signature covers them, and they are decoded once, after it checks out.
    const bytes = await c.req.arrayBuffer();
    const signature = c.req.header("X-Hub-Signature-256") ?? "";
    if (!c.env.GITHUB_WEBHOOK_SECRET) return c.json({ error: "webhook secret not configured" }, 500);
    if (!(await verifySignature(c.env.GITHUB_WEBHOOK_SECRET, bytes, signature))) return c.json({ error: "invalid or missing signature" }, 401);

    const event = c.req.header("X-GitHub-Event") ?? "";
    // GitHub sends a delivery id with every event; without one a replay could not be told from a new event.
    const delivery = c.req.header("X-GitHub-Delivery") ?? "";
    if (!DELIVERY_ID.test(delivery)) return c.json({ error: "missing or malformed X-GitHub-Delivery header" }, 400);
    let payload: Payload;
    try {
      const parsed: unknown = JSON.parse(utf8.decode(bytes));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      payload = parsed as Payload;
    } catch {
      return c.json({ error: "malformed JSON body" }, 400);
    }
    if (event === "ping") return c.json({ ok: true, event: "ping" }, 200);
    if (event === "issue_comment" && sameRepository(payload.repository?.full_name, c.env.GITHUB_REPOSITORY)) return comment(c.env, payload as CommentPayload, delivery);
    if (!isWebhookEvent(event) || event === "issue_comment") return c.json({ ignored: `event ${event || "(none)"}` }, 200);
    if (!sameRepository(payload.repository?.full_name, c.env.GITHUB_REPOSITORY)) return c.json({ ignored: "another repository" }, 200);

    const actor = payload.sender?.login;
    let request: RunRequest;
    if (event === "push") {
      const branch = payload.repository?.default_branch;
      if (!branch || payload.ref !== `refs/heads/${branch}`) return c.json({ ignored: "not the default branch" }, 200);
      if (payload.deleted || !payload.after || /^0+$/.test(payload.after)) return c.json({ ignored: "branch deletion" }, 200);
      request = { cause: "push", mode: "apply", sha: payload.after };
    } else if (event === "pull_request_review") {
      // A review counts only where it is read: the merged pull request's commit is checked (and applied) again; an open one is planned again.
      const pull = payload.pull_request;
      if (payload.action !== "submitted" || !pull) return c.json({ ignored: `pull_request_review ${payload.action ?? ""}` }, 200);
      const merged = typeof pull.merged_at === "string" ? pull.merge_commit_sha : null;
      if (merged && /^[0-9a-f]{40}$/.test(merged)) request = { cause: "push", mode: "apply", sha: merged };
      else if (pull.state === "open" && typeof pull.number === "number" && pull.head?.sha && /^[0-9a-f]{40}$/.test(pull.head.sha)) request = { cause: "pull_request", mode: "plan", sha: pull.head.sha, pr: pull.number };
      else return c.json({ ignored: "pull_request_review on a closed pull request" }, 200);
    } else {
      const pr = payload.pull_request?.number ?? payload.number;
      const sha = payload.pull_request?.head?.sha;
      if (!plansAgain(payload)) return c.json({ ignored: `pull_request ${payload.action ?? ""}` }, 200);
      if (typeof pr !== "number" || !sha || !/^[0-9a-f]{40}$/.test(sha)) return c.json({ error: "pull_request payload without number or head sha" }, 400);
      request = { cause: "pull_request", mode: "plan", sha, pr };
    }
    request.delivery = delivery;
    if (actor) request.actor = actor;
    const stub = c.env.RECONCILER.getByName(c.env.GITHUB_REPOSITORY);
    const result = await stub.enqueue(request);
    // No run starts on a bad configuration: GitHub shows the delivery as failed, with the settings to fix.
    if (!result.queued && result.reason === "config") return c.json({ error: "configuration invalid", config_errors: result.problems.map(problemLine) }, 503);
    if (!result.queued) return c.json({ duplicate: true, delivery }, 200);
    return c.json({ queued: true, delivery }, 202);
  },
);

/** A pull request command: carried out at once (it is small), replied to on the pull request and audited. */
async function comment(env: Env, payload: CommentPayload, delivery: string): Promise<Response> {
  const found = commandOf(payload, delivery);
  if ("ignored" in found) return Response.json({ ignored: found.ignored }, { status: 200 });
  const result = await env.RECONCILER.getByName(env.GITHUB_REPOSITORY).command(found.command);
  if (!result.queued && result.reason === "config") return Response.json({ error: "configuration invalid", config_errors: result.problems.map(problemLine) }, { status: 503 });
  if (!result.queued) return Response.json({ duplicate: true, delivery }, { status: 200 });
  return Response.json({ done: result.key, delivery }, { status: 200 });
}
