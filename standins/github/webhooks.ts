// Pure builders for GitHub webhook deliveries (push, pull_request, ping) typed by @octokit/webhooks, and HMAC signing; WebCrypto only, so workerd tests can import it.
import type { EmitterWebhookEvent } from "@octokit/webhooks";

export type PushPayload = EmitterWebhookEvent<"push">["payload"];
export type PullRequestAction = "opened" | "synchronize" | "reopened" | "edited" | "closed";
export type PullRequestPayload = EmitterWebhookEvent<`pull_request.${PullRequestAction}`>["payload"];
export type PingPayload = EmitterWebhookEvent<"ping">["payload"];

export interface WebhookRepository {
  /** `owner/name`. */
  readonly fullName: string;
  readonly id?: number;
  readonly defaultBranch?: string;
  readonly private?: boolean;
}

export interface WebhookCommon {
  readonly repository: WebhookRepository | string;
  /** Present when the delivery comes from a GitHub App installation (the usual case for us). */
  readonly installationId?: number;
  /** Login of the user who triggered the event; default the repository owner. */
  readonly sender?: string;
  /** Default `https://github.com` / `https://api.github.com`. */
  readonly htmlUrl?: string;
  readonly apiUrl?: string;
}

export interface PushCommit {
  readonly id: string;
  readonly message?: string;
  readonly treeId?: string;
  readonly added?: readonly string[];
  readonly modified?: readonly string[];
  readonly removed?: readonly string[];
  /** ISO 8601; default now. */
  readonly timestamp?: string;
}

export interface PushInput extends WebhookCommon {
  /** A branch name or a full ref (`refs/heads/main`). */
  readonly ref: string;
  readonly before: string;
  readonly after: string;
  /** Oldest first, as GitHub lists them; `head_commit` is the last. */
  readonly commits?: readonly PushCommit[];
  readonly forced?: boolean;
}

export interface PullRequestInput extends WebhookCommon {
  readonly action: PullRequestAction;
  readonly number: number;
  readonly head: { readonly sha: string; readonly ref: string; readonly repository?: WebhookRepository | string };
  readonly base: { readonly sha: string; readonly ref: string };
  /** `synchronize` only: the previous head SHA. */
  readonly before?: string;
  readonly title?: string;
  readonly body?: string | null;
  /** `closed` only: whether it was merged. */
  readonly merged?: boolean;
  /**
   * `edited` only: what changed, as GitHub sends it. A retargeted PR carries `base` (the old branch and its head
   * commit; `base` in the input is then the new one); a new title or body carries `title` or `body` instead.
   */
  readonly changes?: { readonly base?: { readonly ref: string; readonly sha: string }; readonly title?: string; readonly body?: string };
  /** Login of the PR author; default the sender. */
  readonly author?: string;
}

export interface PingInput {
  readonly hookId?: number;
  readonly zen?: string;
  readonly repository?: WebhookRepository | string;
  readonly installationId?: number;
  readonly sender?: string;
  readonly appId?: number;
  readonly htmlUrl?: string;
  readonly apiUrl?: string;
}

export const ZERO_SHA = "0000000000000000000000000000000000000000";

/** Stable small ids from names, so payloads are deterministic without a registry of ids. */
function idFor(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0) % 900_000_000 + 100_000;
}

function normaliseRepo(repo: WebhookRepository | string): Required<WebhookRepository> {
  const r = typeof repo === "string" ? { fullName: repo } : repo;
  return { fullName: r.fullName, id: r.id ?? idFor(r.fullName), defaultBranch: r.defaultBranch ?? "main", private: r.private ?? true };
}

export function nodeId(kind: string, id: number | string): string {
  return btoa(`0${kind.length}:${kind}${id}`).replace(/=+$/, "");
}

function user(login: string, html: string, api: string) {
  return userJson({ login, id: idFor(`user:${login}`), type: login.endsWith("[bot]") ? "Bot" : "User" }, { api, html });
}

/** A user's JSON, in webhook payloads and REST answers alike; a bot's page is its App's (github.com/apps/<slug>). */
export function userJson(user: { readonly login: string; readonly id: number; readonly type: "User" | "Bot" | "Organization" }, urls: { readonly api: string; readonly html: string }) {
  const api = `${urls.api}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type === "Bot" ? "Bot" : "User", user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: `${urls.html}/${user.type === "Bot" ? `apps/${user.login.replace(/\[bot\]$/, "")}` : user.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: "public",
    site_admin: false,
  };
}

const CREATED_AT = "2024-01-15T10:00:00Z";

/** The fields of a repository the fake never varies (no stars, forks, wiki pages…), in REST answers and payloads alike. */
export const REPOSITORY_DEFAULTS = {
  homepage: null,
  size: 0,
  stargazers_count: 0,
  watchers_count: 0,
  language: null,
  has_issues: true,
  has_projects: true,
  has_downloads: true,
  has_wiki: true,
  has_pages: false,
  has_discussions: false,
  forks_count: 0,
  mirror_url: null,
  archived: false,
  disabled: false,
} as const;

/** The `*_url` fields GitHub puts on a repository, in REST answers and webhook payloads alike. */
export function repositoryUrls(fullName: string, html: string, api: string) {
  const base = `${api}/repos/${fullName}`;
  const host = new URL(html).host;
  return {
    html_url: `${html}/${fullName}`,
    url: base,
    forks_url: `${base}/forks`,
    keys_url: `${base}/keys{/key_id}`,
    collaborators_url: `${base}/collaborators{/collaborator}`,
    teams_url: `${base}/teams`,
    hooks_url: `${base}/hooks`,
    issue_events_url: `${base}/issues/events{/number}`,
    events_url: `${base}/events`,
    assignees_url: `${base}/assignees{/user}`,
    branches_url: `${base}/branches{/branch}`,
    tags_url: `${base}/tags`,
    blobs_url: `${base}/git/blobs{/sha}`,
    git_tags_url: `${base}/git/tags{/sha}`,
    git_refs_url: `${base}/git/refs{/sha}`,
    trees_url: `${base}/git/trees{/sha}`,
    statuses_url: `${base}/statuses/{sha}`,
    languages_url: `${base}/languages`,
    stargazers_url: `${base}/stargazers`,
    contributors_url: `${base}/contributors`,
    subscribers_url: `${base}/subscribers`,
    subscription_url: `${base}/subscription`,
    commits_url: `${base}/commits{/sha}`,
    git_commits_url: `${base}/git/commits{/sha}`,
    comments_url: `${base}/comments{/number}`,
    issue_comment_url: `${base}/issues/comments{/number}`,
    contents_url: `${base}/contents/{+path}`,
    compare_url: `${base}/compare/{base}...{head}`,
    merges_url: `${base}/merges`,
    archive_url: `${base}/{archive_format}{/ref}`,
    downloads_url: `${base}/downloads`,
    issues_url: `${base}/issues{/number}`,
    pulls_url: `${base}/pulls{/number}`,
    milestones_url: `${base}/milestones{/number}`,
    notifications_url: `${base}/notifications{?since,all,participating}`,
    labels_url: `${base}/labels{/name}`,
    releases_url: `${base}/releases{/id}`,
    deployments_url: `${base}/deployments`,
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${html}/${fullName}.git`,
    svn_url: `${html}/${fullName}`,
  };
}

/** `repository` as most events carry it (ISO timestamps). */
function repository(input: WebhookRepository | string, html: string, api: string) {
  const r = normaliseRepo(input);
  const [owner = "", name = ""] = r.fullName.split("/");
  return {
    id: r.id,
    node_id: nodeId("Repository", r.id),
    name,
    full_name: r.fullName,
    private: r.private,
    owner: user(owner, html, api),
    description: null,
    fork: false,
    ...repositoryUrls(r.fullName, html, api),
    ...REPOSITORY_DEFAULTS,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: r.private ? ("private" as const) : ("public" as const),
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    pushed_at: CREATED_AT,
  };
}

function urls(common: { htmlUrl?: string; apiUrl?: string }) {
  return { html: common.htmlUrl ?? "https://github.com", api: common.apiUrl ?? "https://api.github.com" };
}

function installation(id: number | undefined) {
  return id === undefined ? {} : { installation: { id, node_id: nodeId("Integration::Installation", id) } };
}

function ownerOf(repo: WebhookRepository | string): string {
  return normaliseRepo(repo).fullName.split("/")[0] ?? "";
}

export function buildPushEvent(input: PushInput): PushPayload {
  const { html, api } = urls(input);
  const repo = normaliseRepo(input.repository);
  const ref = input.ref.startsWith("refs/") ? input.ref : `refs/heads/${input.ref}`;
  const sender = input.sender ?? ownerOf(input.repository);
  const pusher = { name: sender, email: `${sender}@users.noreply.github.com` };
  const commits = (input.commits ?? []).map((c) => ({
    id: c.id,
    tree_id: c.treeId ?? ZERO_SHA,
    distinct: true,
    message: c.message ?? "Update credentials",
    timestamp: c.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    url: `${html}/${repo.fullName}/commit/${c.id}`,
    author: { name: sender, email: pusher.email, username: sender },
    committer: { name: sender, email: pusher.email, username: sender },
    added: [...(c.added ?? [])],
    removed: [...(c.removed ?? [])],
    modified: [...(c.modified ?? [])],
  }));
  const deleted = input.after === ZERO_SHA;
  const created = input.before === ZERO_SHA;
  // A push event's repository carries unix timestamps for created_at/pushed_at, unlike other events.
  const base = repository(input.repository, html, api);
  const pushedAt = Math.floor(Date.now() / 1000);
  return {
    ref,
    before: input.before,
    after: input.after,
    repository: {
      ...base,
      created_at: Math.floor(Date.parse(CREATED_AT) / 1000),
      pushed_at: pushedAt,
      stargazers: 0,
      master_branch: repo.defaultBranch,
      owner: { ...base.owner, name: base.owner.login, email: null },
    },
    pusher,
    sender: user(sender, html, api),
    ...installation(input.installationId),
    created,
    deleted,
    forced: input.forced ?? false,
    base_ref: null,
    compare: created
      ? `${html}/${repo.fullName}/commit/${input.after.slice(0, 12)}`
      : `${html}/${repo.fullName}/compare/${input.before.slice(0, 12)}...${input.after.slice(0, 12)}`,
    commits,
    head_commit: commits.at(-1) ?? null,
  };
}

/** The fields of a pull request the fake never varies (no reviewers, labels, diff stats…), in REST answers and payloads alike; fresh arrays each call. */
export function pullRequestDefaults() {
  return {
    locked: false,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    auto_merge: null,
    draft: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

/** A pull request's `*_url` fields and `_links`, in REST answers and webhook payloads alike. */
export function pullRequestUrls(fullName: string, number: number, headSha: string, html: string, api: string) {
  const repoApi = `${api}/repos/${fullName}`;
  const pull = `${repoApi}/pulls/${number}`;
  const issue = `${repoApi}/issues/${number}`;
  const page = `${html}/${fullName}/pull/${number}`;
  const reviewComment = `${repoApi}/pulls/comments{/number}`;
  const statuses = `${repoApi}/statuses/${headSha}`;
  return {
    url: pull,
    html_url: page,
    diff_url: `${page}.diff`,
    patch_url: `${page}.patch`,
    issue_url: issue,
    commits_url: `${pull}/commits`,
    review_comments_url: `${pull}/comments`,
    review_comment_url: reviewComment,
    comments_url: `${issue}/comments`,
    statuses_url: statuses,
    _links: {
      self: { href: pull },
      html: { href: page },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${pull}/comments` },
      review_comment: { href: reviewComment },
      commits: { href: `${pull}/commits` },
      statuses: { href: statuses },
    },
  };
}

function pullRequestObject(input: PullRequestInput, html: string, api: string) {
  const base = normaliseRepo(input.repository);
  const headRepoInput = input.head.repository ?? input.repository;
  const headRepo = normaliseRepo(headRepoInput);
  const author = user(input.author ?? input.sender ?? ownerOf(input.repository), html, api);
  const id = idFor(`pr:${base.fullName}#${input.number}`);
  const closed = input.action === "closed";
  const merged = closed && (input.merged ?? false);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const side = (ref: string, sha: string, repo: WebhookRepository | string) => ({
    label: `${ownerOf(repo)}:${ref}`,
    ref,
    sha,
    user: user(ownerOf(repo), html, api),
    repo: { ...repository(repo, html, api), fork: normaliseRepo(repo).fullName !== base.fullName },
  });
  return {
    ...pullRequestUrls(base.fullName, input.number, input.head.sha, html, api),
    ...pullRequestDefaults(),
    id,
    node_id: nodeId("PullRequest", id),
    number: input.number,
    state: closed ? ("closed" as const) : ("open" as const),
    title: input.title ?? `Update credentials (${input.head.ref})`,
    user: author,
    body: input.body ?? null,
    created_at: CREATED_AT,
    updated_at: now,
    closed_at: closed ? now : null,
    merged_at: merged ? now : null,
    head: side(input.head.ref, input.head.sha, headRepo),
    base: side(input.base.ref, input.base.sha, input.repository),
    author_association: "OWNER" as const,
    merged,
    merged_by: merged ? author : null,
    comments: 0,
  };
}

export function buildPullRequestEvent(input: PullRequestInput): PullRequestPayload {
  const { html, api } = urls(input);
  const sender = user(input.sender ?? ownerOf(input.repository), html, api);
  const common = {
    number: input.number,
    repository: repository(input.repository, html, api),
    sender,
    ...installation(input.installationId),
  };
  const pr = pullRequestObject(input, html, api);
  switch (input.action) {
    case "opened":
      return { action: "opened", ...common, pull_request: pr };
    case "reopened":
      return { action: "reopened", ...common, pull_request: { ...pr, state: "open", closed_at: null, merged_at: null, merged: false, merged_by: null } };
    case "synchronize":
      return {
        action: "synchronize",
        ...common,
        before: input.before ?? ZERO_SHA,
        after: input.head.sha,
        pull_request: { ...pr, state: "open", closed_at: null, merged_at: null, merged: false, merged_by: null },
      };
    case "edited": {
      const from = input.changes ?? {};
      const changes = {
        ...(from.base ? { base: { ref: { from: from.base.ref }, sha: { from: from.base.sha } } } : {}),
        ...(from.title !== undefined ? { title: { from: from.title } } : {}),
        ...(from.body !== undefined ? { body: { from: from.body } } : {}),
      };
      return { action: "edited", ...common, changes, pull_request: { ...pr, state: "open", closed_at: null, merged_at: null, merged: false, merged_by: null } };
    }
    case "closed":
      return { action: "closed", ...common, pull_request: { ...pr, state: "closed" } };
  }
}

export function buildPingEvent(input: PingInput = {}): PingPayload {
  const { html, api } = urls(input);
  const hookId = input.hookId ?? 1;
  const sender = input.sender ?? (input.repository ? ownerOf(input.repository) : "octocat");
  const hookBase = input.repository ? `${api}/repos/${normaliseRepo(input.repository).fullName}/hooks/${hookId}` : `${api}/app/hook`;
  return {
    zen: input.zen ?? "Keep it logically awesome.",
    hook_id: hookId,
    hook: {
      type: input.appId === undefined ? "Repository" : "App",
      id: hookId,
      name: "web",
      active: true,
      events: ["pull_request", "push"],
      config: { content_type: "json", insecure_ssl: "0", url: "https://example.com/webhooks/github" },
      updated_at: CREATED_AT,
      created_at: CREATED_AT,
      ...(input.appId === undefined ? {} : { app_id: input.appId }),
      url: hookBase,
      test_url: `${hookBase}/test`,
      ping_url: `${hookBase}/pings`,
      deliveries_url: `${hookBase}/deliveries`,
      last_response: { code: null, status: "unused", message: null },
    },
    ...(input.repository ? { repository: repository(input.repository, html, api) } : {}),
    sender: user(sender, html, api),
    ...installation(input.installationId),
  };
}

/** `X-Hub-Signature-256` for a body: HMAC-SHA256 with the webhook secret, hex, prefixed `sha256=`. */
export async function signWebhook(secret: string, body: string | Uint8Array): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const data = typeof body === "string" ? encoder.encode(body) : new Uint8Array(body);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
  let hex = "";
  for (const byte of mac) hex += byte.toString(16).padStart(2, "0");
  return `sha256=${hex}`;
}

export type WebhookEventName = "push" | "pull_request" | "ping";

export interface WebhookDelivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A delivery as GitHub sends it: JSON body and its headers (event, delivery id, signature, hook target). */
export async function buildDelivery(
  event: WebhookEventName,
  payload: PushPayload | PullRequestPayload | PingPayload,
  secret: string | null,
  options: { deliveryId?: string; hookId?: number; /** An App's webhook (target `integration`) rather than a repository hook. */ appId?: number } = {},
): Promise<WebhookDelivery> {
  const body = JSON.stringify(payload);
  const repositoryId = "repository" in payload ? payload.repository?.id : undefined;
  const target =
    options.appId !== undefined
      ? { type: "integration", id: String(options.appId) }
      : repositoryId !== undefined
        ? { type: "repository", id: String(repositoryId) }
        : null;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake",
    "x-github-event": event,
    "x-github-delivery": options.deliveryId ?? crypto.randomUUID(),
    "x-github-hook-id": String(options.hookId ?? 1),
    ...(target
      ? { "x-github-hook-installation-target-type": target.type, "x-github-hook-installation-target-id": target.id }
      : {}),
  };
  if (secret !== null) headers["x-hub-signature-256"] = await signWebhook(secret, body);
  return { body, headers };
}
