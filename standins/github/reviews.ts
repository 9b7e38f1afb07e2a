// The fake's pull request reviews, the commit → pull requests association, team memberships and collaborator permissions, as docs.github.com documents them; a submitted review sends a pull_request_review webhook.
import type { Context, Env, Hono } from "hono";
import { GitHubError, notFound, validationFailed } from "./errors.js";
import * as shape from "./serialize.js";
import type { FakeGitHubState, FakeRepo, IssueRecord, ReviewRecord, UserRecord } from "./state.js";

export interface ReviewRouteDeps<E extends Env> {
  state: FakeGitHubState;
  access(c: Context<E>, permission: string, level: "read" | "write"): { repo: FakeRepo; actor: UserRecord | null };
  /** Org-level read access (403 for an installation without `permission`). */
  orgAccess(c: Context<E>, permission: string): void;
  urls(c: Context<E>): shape.Urls;
  paginate<T>(c: Context<E>, items: readonly T[]): T[];
  resolveCommitOr422(repo: FakeRepo, ref: string): string;
  readJson(c: Context<E>, optional?: boolean): Promise<Record<string, unknown>>;
  /** Sends a webhook delivery (recorded, and handed to the fake's onWebhook). */
  send(delivery: { event: string; delivery: string; payload: unknown }): void;
}

const DOCS = {
  reviews: "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request",
  create: "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
  commitPulls: "https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit",
  membership: "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user",
  permission: "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
};

/** A role's `permission` as the endpoint reports it: maintain counts as write, triage as read (role_name keeps the role). */
const PERMISSION_OF = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read" } as const;

const EVENTS: Record<string, ReviewRecord["state"]> = { APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED", COMMENT: "COMMENTED" };

/** A review's JSON (REST and the webhook's `review` alike). */
export function reviewJson(repo: FakeRepo, pr: IssueRecord, review: ReviewRecord, urls: shape.Urls) {
  const page = `${urls.html}/${repo.fullName}/pull/${pr.number}`;
  const api = `${urls.api}/repos/${repo.fullName}/pulls/${pr.number}`;
  return {
    id: review.id,
    node_id: shape.nodeId("PullRequestReview", review.id),
    user: shape.simpleUser(review.user, urls),
    body: review.body,
    state: review.state,
    html_url: `${page}#pullrequestreview-${review.id}`,
    pull_request_url: api,
    author_association: review.user.login === repo.owner.login ? "OWNER" : "CONTRIBUTOR",
    _links: { html: { href: `${page}#pullrequestreview-${review.id}` }, pull_request: { href: api } },
    submitted_at: review.submittedAt ?? undefined,
    commit_id: review.commitId,
  };
}

/** Registers the routes; `GET …/commits/{sha}/pulls` must come before the app's `GET …/commits/{ref}`. */
export function registerReviewRoutes<E extends Env>(app: Hono<E>, deps: ReviewRouteDeps<E>): void {
  const { state } = deps;

  // The merged pull request that brought the commit to the default branch; for a commit not on it, the open pull requests whose head it is.
  app.get("/repos/:owner/:repo/commits/:sha/pulls", (c) => {
    const { repo } = deps.access(c, "pull_requests", "read");
    const sha = deps.resolveCommitOr422(repo, c.req.param("sha") ?? "");
    const pulls = repo.pullRequests();
    const merged = pulls.filter((p) => p.pull?.merged && p.pull.mergeCommitSha === sha);
    const list = merged.length > 0 ? merged : pulls.filter((p) => p.state === "open" && p.pull?.headSha === sha);
    return c.json(deps.paginate(c, list.sort((a, b) => b.number - a.number)).map((p) => shape.pullRequest(repo, p, deps.urls(c))));
  });

  app.get("/repos/:owner/:repo/pulls/:number{[0-9]+}/reviews", (c) => {
    const { repo } = deps.access(c, "pull_requests", "read");
    const pr = repo.issues.get(Number(c.req.param("number")));
    if (!pr?.pull) throw notFound(DOCS.reviews);
    // Pending reviews are their author's alone: nobody else lists them.
    const list = (repo.reviews.get(pr.number) ?? []).filter((r) => r.state !== "PENDING");
    return c.json(deps.paginate(c, list).map((r) => reviewJson(repo, pr, r, deps.urls(c))));
  });

  app.post("/repos/:owner/:repo/pulls/:number{[0-9]+}/reviews", async (c) => {
    const { repo, actor } = deps.access(c, "pull_requests", "write");
    if (!actor) throw new GitHubError(401, "Requires authentication", DOCS.create);
    const pr = repo.issues.get(Number(c.req.param("number")));
    if (!pr?.pull) throw notFound(DOCS.create);
    const input = await deps.readJson(c, true);
    const event = input["event"];
    if (event !== undefined && (typeof event !== "string" || !(event in EVENTS))) throw validationFailed([{ resource: "PullRequestReview", code: "invalid", field: "event" }], DOCS.create);
    const body = typeof input["body"] === "string" ? input["body"] : "";
    if ((event === "REQUEST_CHANGES" || event === "COMMENT") && body === "") throw new GitHubError(422, "Unprocessable Entity: Body is required for this event", DOCS.create);
    if (event === "APPROVE" && actor.login.toLowerCase() === pr.user.login.toLowerCase()) throw new GitHubError(422, "Unprocessable Entity: Can not approve your own pull request", DOCS.create);
    const commitId = typeof input["commit_id"] === "string" ? deps.resolveCommitOr422(repo, input["commit_id"]) : pr.pull.headSha;
    const review: ReviewRecord = { id: state.newId(), user: actor, body, state: event === undefined ? "PENDING" : (EVENTS[event] as ReviewRecord["state"]), commitId, submittedAt: event === undefined ? null : state.isoNow() };
    repo.reviews.set(pr.number, [...(repo.reviews.get(pr.number) ?? []), review]);
    const json = reviewJson(repo, pr, review, deps.urls(c));
    if (review.state !== "PENDING") {
      deps.send({
        event: "pull_request_review",
        delivery: crypto.randomUUID(),
        payload: { action: "submitted", review: json, pull_request: shape.pullRequest(repo, pr, deps.urls(c)), repository: shape.repository(repo, deps.urls(c)), sender: shape.simpleUser(actor, deps.urls(c)) },
      });
    }
    return c.json(json, 200);
  });

  app.get("/orgs/:org/teams/:slug/memberships/:username", (c) => {
    deps.orgAccess(c, "members");
    const team = state.teams.get(`${c.req.param("org")}/${c.req.param("slug")}`.toLowerCase());
    const member = team?.members.get((c.req.param("username") ?? "").toLowerCase());
    if (!team || !member) throw notFound(DOCS.membership);
    return c.json({ url: `${deps.urls(c).api}/organizations/${team.org}/team/${team.id}/memberships/${member.login}`, role: member.role, state: member.state });
  });

  /** Test control: a team of an organisation with its members (`{slug, members: [login | {login, role, state}]}`); replaces one of that slug. */
  app.post("/__fake/orgs/:org/teams", async (c) => {
    const input = await deps.readJson(c);
    const org = c.req.param("org") ?? "";
    const slug = input["slug"];
    if (typeof slug !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/i.test(slug)) throw validationFailed([{ resource: "Team", code: "missing_field", field: "slug" }]);
    const members = new Map<string, { login: string; role: "member" | "maintainer"; state: "active" | "pending" }>();
    for (const entry of Array.isArray(input["members"]) ? input["members"] : []) {
      const m = typeof entry === "string" ? { login: entry } : (entry as { login?: unknown; role?: unknown; state?: unknown });
      if (typeof m.login !== "string") continue;
      members.set(m.login.toLowerCase(), { login: m.login, role: m.role === "maintainer" ? "maintainer" : "member", state: m.state === "pending" ? "pending" : "active" });
    }
    const key = `${org}/${slug}`.toLowerCase();
    state.teams.set(key, { id: state.teams.get(key)?.id ?? state.newId(), org, slug, members });
    return c.json({ org, slug, members: [...members.values()] }, 201);
  });

  // The owner is admin; a collaborator has their role; anyone else none on a private repository, read on a public one; an unknown login 404.
  app.get("/repos/:owner/:repo/collaborators/:username/permission", (c) => {
    const { repo } = deps.access(c, "metadata", "read");
    const login = (c.req.param("username") ?? "").toLowerCase();
    const user = state.users.get(login);
    if (!user) throw notFound(DOCS.permission);
    const role = login === repo.owner.login.toLowerCase() ? "admin" : (repo.collaborators.get(login)?.role ?? null);
    const permission = role ? PERMISSION_OF[role] : repo.isPrivate ? "none" : "read";
    return c.json({ permission, role_name: role ?? permission, user: shape.simpleUser(user, deps.urls(c)) });
  });

  /** Test control: a collaborator of the repository with a role (`{login, role}`; role `none` removes them). */
  app.post("/__fake/repos/:owner/:repo/collaborators", async (c) => {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    if (!repo) throw notFound();
    const input = await deps.readJson(c);
    const login = input["login"];
    const role = input["role"];
    if (typeof login !== "string" || login === "") throw validationFailed([{ resource: "Collaborator", code: "missing_field", field: "login" }]);
    state.user(login);
    if (role === "none") repo.collaborators.delete(login.toLowerCase());
    else if (typeof role === "string" && role in PERMISSION_OF) repo.collaborators.set(login.toLowerCase(), { login, role: role as keyof typeof PERMISSION_OF });
    else throw validationFailed([{ resource: "Collaborator", code: "invalid", field: "role" }]);
    return c.json({ login, role }, 201);
  });

  /** Test control: the webhook deliveries the fake sent (and, with `?clear`, forgets them). */
  app.get("/__fake/webhooks", (c) => {
    const list = [...state.webhooks];
    if (c.req.query("clear") !== undefined) state.webhooks.length = 0;
    return c.json(list);
  });
}
