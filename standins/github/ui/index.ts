// Routes of the stand-in's read-only web UI (`/`, `/{owner}/{repo}`, `…/pull/N`, `…/issues/N`, `/-/worker`), answered before the REST API sees the request.
import type { FakeGitHub } from "../app.js";
import { CONTENT_SECURITY_POLICY, type Html } from "./html.js";
import { indexPage, issuePage, notFoundPage, pullPage, repoPage, workerPage } from "./pages.js";
import { readWorker, type WorkerLink } from "./worker-api.js";

export type { WorkerLink } from "./worker-api.js";

export interface UiOptions {
  /** The Worker whose runs and audit log `/-/worker` shows; its admin token is used by this server only. */
  readonly worker?: WorkerLink;
}

/** First path segments of GitHub's REST API: never a UI page, so the API answers them as before. */
const API_ROOTS = new Set(["repos", "app", "apps", "orgs", "installation", "user", "users", "__fake", "search", "rate_limit", "meta", "graphql", "settings", "organizations", "app-manifests"]);

function htmlResponse(body: Html, status = 200): Response {
  return new Response(body.value, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });
}

/** The UI's answer to `request`, or null when it is an API request. */
export async function uiResponse(fake: FakeGitHub, request: Request, options: UiOptions = {}): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const url = new URL(request.url);
  let segments: string[];
  try {
    segments = url.pathname.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  if (segments.length === 0) {
    await fake.ready;
    return htmlResponse(indexPage(fake.state, options.worker !== undefined));
  }
  if (segments[0] === "-" && segments[1] === "worker" && segments.length === 2) return htmlResponse(workerPage(await readWorker(options.worker)));
  if (API_ROOTS.has(segments[0] ?? "") || segments.length < 2 || segments.length > 4) return null;
  await fake.ready;
  const [owner = "", name = "", kind, number] = segments;
  const repo = fake.state.repo(owner, name);
  if (!repo) return htmlResponse(notFoundPage(`There is no repository ${owner}/${name} on this stand-in.`), 404);
  if (kind === undefined) return htmlResponse(repoPage(repo));
  const issue = number !== undefined && /^[1-9][0-9]{0,8}$/.test(number) ? repo.issues.get(Number(number)) : undefined;
  if (kind === "pull" && issue?.pull) return htmlResponse(pullPage(repo, issue));
  if (kind === "issues" && issue && !issue.pull) return htmlResponse(issuePage(repo, issue));
  // GitHub redirects between the two kinds of number; so do we.
  if (kind === "issues" && issue?.pull) return Response.redirect(new URL(`/${repo.fullName}/pull/${issue.number}`, url).toString(), 302);
  if (kind === "pull" && issue && !issue.pull) return Response.redirect(new URL(`/${repo.fullName}/issues/${issue.number}`, url).toString(), 302);
  return htmlResponse(notFoundPage(`There is no ${kind === "pull" ? "pull request" : "page"} ${segments.slice(2).join("/")} in ${repo.fullName}.`), 404);
}
