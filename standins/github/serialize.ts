// GitHub's REST JSON shapes for the fake's records (field names and nesting as docs.github.com documents them).
import { toWrappedBase64 } from "./git-objects.js";
import { nodeId, pullRequestDefaults, pullRequestUrls, REPOSITORY_DEFAULTS, repositoryUrls, userJson } from "./webhooks.js";
import type {
  Annotation,
  CheckRunRecord,
  CommentRecord,
  CommitRecord,
  FakeRepo,
  IssueRecord,
  StatusRecord,
  UserRecord,
} from "./state.js";

// The routes take every JSON shape from this module, node ids included.
export { nodeId };

export interface Urls {
  /** API origin, e.g. `http://127.0.0.1:8789` (GitHub: `https://api.github.com`). */
  readonly api: string;
  /** Web origin for `html_url`s (GitHub: `https://github.com`). */
  readonly html: string;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A user as the REST API shows it: the same builder the webhook payloads use. */
export function simpleUser(user: UserRecord, urls: Urls) {
  return userJson(user, urls);
}

/** A repository's URL fields: the same builder the webhook payloads use. */
export function repoUrls(repo: FakeRepo, urls: Urls) {
  return repositoryUrls(repo.fullName, urls.html, urls.api);
}

export function repository(repo: FakeRepo, urls: Urls) {
  const openIssues = [...repo.issues.values()].filter((i) => i.state === "open").length;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.isPrivate,
    owner: simpleUser(repo.owner, urls),
    description: repo.description,
    fork: false,
    ...repoUrls(repo, urls),
    ...REPOSITORY_DEFAULTS,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.isPrivate ? "private" : "public",
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    pushed_at: repo.createdAt,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

function signature(sig: CommitRecord["author"]) {
  return { name: sig.name, email: sig.email, date: iso(sig.timestamp) };
}

/** The `commit` object of `GET /repos/{o}/{r}/commits/{ref}` and of a branch. */
export function commit(repo: FakeRepo, c: CommitRecord, urls: Urls) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: c.sha,
    node_id: nodeId("Commit", c.sha),
    commit: {
      author: signature(c.author),
      committer: signature(c.committer),
      message: c.message,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    url: `${api}/commits/${c.sha}`,
    html_url: `${urls.html}/${repo.fullName}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${urls.html}/${repo.fullName}/commit/${p}` })),
  };
}

export function branch(repo: FakeRepo, name: string, c: CommitRecord, urls: Urls) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    name,
    commit: commit(repo, c, urls),
    _links: { self: `${api}/branches/${name}`, html: `${urls.html}/${repo.fullName}/tree/${name}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } },
    protection_url: `${api}/branches/${name}/protection`,
  };
}

export function blob(repo: FakeRepo, sha: string, content: Uint8Array, urls: Urls) {
  return {
    sha,
    node_id: nodeId("Blob", sha),
    size: content.length,
    url: `${urls.api}/repos/${repo.fullName}/git/blobs/${sha}`,
    content: toWrappedBase64(content),
    encoding: "base64",
  };
}

export function contentEntry(repo: FakeRepo, path: string, type: "file" | "dir", sha: string, size: number, ref: string, urls: Urls) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${api}/git/${type === "file" ? "blobs" : "trees"}/${sha}`;
  const html = `${urls.html}/${repo.fullName}/${type === "file" ? "blob" : "tree"}/${ref}/${path}`;
  return {
    type,
    size,
    name: path.slice(path.lastIndexOf("/") + 1),
    path,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: type === "file" ? `${urls.html}/${repo.fullName}/raw/${ref}/${path}` : null,
    _links: { self, git, html },
  };
}

export function label(repo: FakeRepo, name: string, id: number, color: string, urls: Urls) {
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${urls.api}/repos/${repo.fullName}/labels/${encodeURIComponent(name)}`,
    name,
    color,
    default: false,
    description: null,
  };
}

export function issue(repo: FakeRepo, i: IssueRecord, urls: Urls) {
  const api = `${urls.api}/repos/${repo.fullName}/issues/${i.number}`;
  const comments = [...repo.comments.values()].filter((c) => c.issueNumber === i.number).length;
  return {
    url: api,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${urls.html}/${repo.fullName}/${i.pull ? "pull" : "issues"}/${i.number}`,
    id: i.id,
    node_id: nodeId(i.pull ? "PullRequest" : "Issue", i.id),
    number: i.number,
    title: i.title,
    user: simpleUser(i.user, urls),
    labels: i.labels.map((name) => {
      const l = repo.labels.get(name.toLowerCase());
      return label(repo, l?.name ?? name, l?.id ?? 0, l?.color ?? "ededed", urls);
    }),
    state: i.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_at: i.closedAt,
    author_association: i.user.login === repo.owner.login ? "OWNER" : "NONE",
    active_lock_reason: null,
    body: i.body,
    closed_by: null,
    state_reason: i.stateReason,
    ...(i.pull
      ? {
          draft: false,
          pull_request: {
            url: `${urls.api}/repos/${repo.fullName}/pulls/${i.number}`,
            html_url: `${urls.html}/${repo.fullName}/pull/${i.number}`,
            diff_url: `${urls.html}/${repo.fullName}/pull/${i.number}.diff`,
            patch_url: `${urls.html}/${repo.fullName}/pull/${i.number}.patch`,
            merged_at: i.pull.merged ? i.closedAt : null,
          },
        }
      : {}),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
    reactions: reactions(`${api}/reactions`),
  };
}

function reactions(url: string) {
  return { url, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
}

export function pullRequest(repo: FakeRepo, i: IssueRecord, urls: Urls) {
  const pull = i.pull;
  if (!pull) throw new Error("not a pull request");
  const baseSha = repo.branches.get(pull.baseRef) ?? null;
  const side = (ref: string, sha: string | null) => ({
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: simpleUser(repo.owner, urls),
    repo: repository(repo, urls),
  });
  const head = side(pull.headRef, pull.headSha);
  if (pull.headRepo.toLowerCase() !== repo.fullName.toLowerCase()) {
    const [owner = "", name = ""] = pull.headRepo.split("/");
    head.label = `${owner}:${pull.headRef}`;
    head.repo = { ...head.repo, name, full_name: pull.headRepo, fork: true, id: head.repo.id + 1 };
  }
  return {
    ...pullRequestUrls(repo.fullName, i.number, pull.headSha, urls.html, urls.api),
    ...pullRequestDefaults(),
    id: i.id,
    node_id: nodeId("PullRequest", i.id),
    number: i.number,
    state: i.state,
    title: i.title,
    user: simpleUser(i.user, urls),
    body: i.body,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_at: i.closedAt,
    merged_at: pull.merged ? i.closedAt : null,
    head,
    base: side(pull.baseRef, baseSha),
    author_association: i.user.login === repo.owner.login ? "OWNER" : "NONE",
    merged: pull.merged,
    merge_commit_sha: pull.mergeCommitSha ?? null,
    merged_by: null,
    comments: [...repo.comments.values()].filter((c) => c.issueNumber === i.number).length,
  };
}

export interface AppInfo {
  readonly id: number;
  readonly slug: string;
  readonly owner: UserRecord;
}

export function integration(app: AppInfo, urls: Urls) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: simpleUser(app.owner, urls),
    name: app.slug,
    description: "",
    external_url: `${urls.html}/apps/${app.slug}`,
    html_url: `${urls.html}/apps/${app.slug}`,
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    permissions: {},
    events: ["push", "pull_request"],
  };
}

export function comment(repo: FakeRepo, c: CommentRecord, urls: Urls, app: AppInfo | null) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${urls.html}/${repo.fullName}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${c.issueNumber}`,
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    user: simpleUser(c.user, urls),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: c.user.login === repo.owner.login ? "OWNER" : "NONE",
    body: c.body,
    reactions: reactions(`${api}/issues/comments/${c.id}/reactions`),
    performed_via_github_app: c.appId !== null && app ? integration(app, urls) : null,
  };
}

export function checkRun(repo: FakeRepo, run: CheckRunRecord, urls: Urls, app: AppInfo | null) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const pulls = repo
    .pullRequests()
    .filter((p) => p.state === "open" && p.pull?.headSha === run.headSha)
    .map((p) => ({
      url: `${api}/pulls/${p.number}`,
      id: p.id,
      number: p.number,
      head: { ref: p.pull?.headRef ?? "", sha: p.pull?.headSha ?? "", repo: { id: repo.id, url: api, name: repo.name } },
      base: {
        ref: p.pull?.baseRef ?? "",
        sha: repo.branches.get(p.pull?.baseRef ?? "") ?? "",
        repo: { id: repo.id, url: api, name: repo.name },
      },
    }));
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId("CheckRun", run.id),
    head_sha: run.headSha,
    external_id: run.externalId ?? "",
    url: `${api}/check-runs/${run.id}`,
    html_url: `${urls.html}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl ?? (app ? `${urls.html}/apps/${app.slug}` : null),
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.annotations.length,
      annotations_url: `${api}/check-runs/${run.id}/annotations`,
    },
    check_suite: { id: run.id + 1 },
    app: run.appId !== null && app ? integration(app, urls) : null,
    pull_requests: pulls,
  };
}

/** As `GET /check-runs/{id}/annotations` returns them: every optional field present, null when unset. */
export function annotation(repo: FakeRepo, run: CheckRunRecord, a: Annotation, urls: Urls) {
  return {
    path: a.path,
    start_line: a.start_line,
    end_line: a.end_line,
    start_column: a.start_column ?? null,
    end_column: a.end_column ?? null,
    annotation_level: a.annotation_level,
    title: a.title ?? null,
    message: a.message,
    raw_details: a.raw_details ?? null,
    blob_href: `${urls.html}/${repo.fullName}/blob/${run.headSha}/${a.path}`,
  };
}

export function status(repo: FakeRepo, s: StatusRecord, urls: Urls) {
  return {
    url: `${urls.api}/repos/${repo.fullName}/statuses/${s.sha}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId("StatusContext", s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: simpleUser(s.creator, urls),
  };
}
