// A fake GitHub REST API (hono, in-memory, WebCrypto; libsodium loaded on first use to open Actions secrets) for tests and `npm start`: the endpoints ngrok-gitops calls, with GitHub's auth, shapes and limits.
import { Hono, type Context } from "hono";
import { looksLikeJwt } from "./app-auth.js";
import { appJson, AppRegistry, keyLoader, type AppRecord, type InstallationSpec, type Permission, type Permissions } from "./apps.js";
import { registerAppRoutes } from "./app-routes.js";
import {
  DOCS,
  GitHubError,
  invalidRequest,
  notFound,
  notSupplied,
  validationFailed,
  type ValidationErrorItem,
} from "./errors.js";
import { fromBase64, utf8 } from "./git-objects.js";
import { newSecretKeyPair, openSealedBox, SECRET_VALUE_MAX_BYTES } from "./secret-keys.js";
import { registerReviewRoutes } from "./reviews.js";
import * as shape from "./serialize.js";
import {
  FakeGitHubState,
  type Annotation,
  type CheckConclusion,
  type CheckRunRecord,
  type CheckStatus,
  type CommentRecord,
  type FakeRepo,
  type IssueRecord,
  type RepoInit,
  type FaultRecord,
  type SecretStore,
  type StatusRecord,
  type UserRecord,
} from "./state.js";

export { generateAppKeyPair, signAppJwt, type AppKeyPair } from "./app-auth.js";
export type { CommitInput, CommitResult, FaultInput, PullRequestInput, RepoInit, RequestLogEntry } from "./state.js";
export { FakeGitHubState, ZERO_SHA } from "./state.js";

export type { InstallationSpec, Permission, Permissions } from "./apps.js";

export interface TokenSpec {
  readonly token: string;
  /** Who the token acts as; default `octocat`. */
  readonly login?: string;
  /** Acts as a GitHub App installation (like Actions' `GITHUB_TOKEN`): the only kind that may write check runs. */
  readonly installation?: boolean;
}

export interface FakeAppOptions {
  readonly id: number;
  readonly slug?: string;
  readonly publicKeyPem?: string;
  readonly publicKey?: CryptoKey;
  /** Default: one installation, id 1, on every repository, with the permissions ngrok-gitops needs. */
  readonly installations?: readonly InstallationSpec[];
  /** The App's webhook config (GET /app/hook/config); default none, as before an App's webhook is set. */
  readonly hookUrl?: string;
}

export interface FakeGitHubOptions {
  readonly tokens?: ReadonlyArray<string | TokenSpec>;
  readonly app?: FakeAppOptions;
  /** Created before the first request is answered (see `ready`). */
  readonly repos?: readonly RepoInit[];
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Origin of `html_url`s; default `https://github.com`. */
  readonly htmlUrl?: string;
  /** Who is signed in to the web pages (the App manifest and install pages); default `octocat`. */
  readonly webUser?: string;
  /** Called with each webhook delivery the fake sends (e.g. pull_request_review); they are also listed at `GET /__fake/webhooks`. */
  readonly onWebhook?: (delivery: { event: string; delivery: string; payload: unknown }) => void;
}

export interface FakeGitHub {
  readonly app: Hono<Env>;
  readonly state: FakeGitHubState;
  /** Resolves once `options.repos` exist; requests wait for it too. */
  readonly ready: Promise<void>;
  /** The `/__fake/repos/{o}/{r}` view: everything the Worker wrote to a repository, in GitHub's shapes. */
  view(fullName: string, apiOrigin?: string): RepoView;
  /** Registers an extra token at runtime. */
  addToken(spec: string | TokenSpec): void;
  /** Every GitHub App: the configured one and those registered through the manifest flow. */
  readonly apps: AppRegistry;
  /** In process only (never served): the plaintext a secret's sealed box held, for tests that run the fake in process. */
  openedSecret(scope: { repo: string; environment?: string } | { org: string }, name: string): string | undefined;
}

export const DEFAULT_INSTALLATION_PERMISSIONS: Permissions = {
  metadata: "read",
  contents: "read",
  pull_requests: "write",
  issues: "write",
  checks: "write",
  statuses: "write",
  secrets: "write",
  organization_secrets: "write",
  environments: "write",
  members: "read",
};

const INSTALLATION_TOKEN_TTL_MS = 60 * 60 * 1000;
const USER_AGENT_MESSAGE =
  "Request forbidden by administrative rules. Please make sure your request has a User-Agent header " +
  "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). " +
  "Check https://developer.github.com for other possible causes.";
const COMMENT_BODY_MAX_CHARS = 65536;
const CHECK_OUTPUT_MAX_BYTES = 65535;
const ANNOTATIONS_PER_REQUEST = 50;
const STATUS_DESCRIPTION_MAX_CHARS = 140;

interface TokenEntry {
  readonly user: UserRecord;
  readonly installation: InstallationGrant | null;
  readonly expiresAt: number | null;
}

interface InstallationGrant {
  readonly id: number;
  readonly permissions: Permissions;
  /** Lower-cased `owner/name`s, or null for every repository. */
  readonly repositories: ReadonlySet<string> | null;
}

type Identity =
  | { readonly kind: "anonymous" }
  | { readonly kind: "app"; readonly appId: number }
  | { readonly kind: "token"; readonly entry: TokenEntry };

type Env = { Variables: { identity: Identity } };
type Ctx = Context<Env>;

export interface RepoView {
  full_name: string;
  default_branch: string;
  private: boolean;
  branches: Record<string, string>;
  pulls: Array<{ number: number; state: string; head_ref: string; head_sha: string; base_ref: string; head_repo: string }>;
  comments: Array<ReturnType<typeof shape.comment> & { issue_number: number }>;
  check_runs: Array<ReturnType<typeof shape.checkRun> & { annotations: Array<ReturnType<typeof shape.annotation>> }>;
  statuses: Array<ReturnType<typeof shape.status> & { sha: string }>;
  issues: Array<ReturnType<typeof shape.issue>>;
  secrets: { actions: ReceivedSecret[]; environments: Record<string, ReceivedSecret[]> };
  public_keys: { actions: { key_id: string; key: string }; environments: Record<string, { key_id: string; key: string }> };
}

/**
 * A secret as received, without its value: no page or JSON answer of the fake shows one (GitHub never does). A test
 * proves what arrived by opening `encrypted_value` with a secret key it installed (`.../secrets/rotate-key`
 * with `private_key`), or in process with FakeGitHub.openedSecret.
 */
export interface ReceivedSecret {
  name: string;
  encrypted_value: string;
  key_id: string;
  created_at: string;
  updated_at: string;
}

export function createFakeGitHub(options: FakeGitHubOptions = {}): FakeGitHub {
  const state = new FakeGitHubState(options.now);
  const htmlOrigin = options.htmlUrl ?? "https://github.com";
  const tokens = new Map<string, TokenEntry>();
  const appOptions = options.app;
  const appSlug = appOptions?.slug ?? "ngrok-gitops";
  const appOwner = state.user("fake-app-owner", "Organization");
  const appInfo: shape.AppInfo | null = appOptions ? { id: appOptions.id, slug: appSlug, owner: appOwner } : null;
  const apps = new AppRegistry();
  if (appOptions) {
    apps.add({
      id: appOptions.id, slug: appSlug, name: appSlug, owner: appOwner, description: "", externalUrl: `${options.htmlUrl ?? "https://github.com"}/apps/${appSlug}`,
      clientId: `Iv1.${appOptions.id.toString(16).padStart(16, "0")}`, createdAt: "2024-01-01T00:00:00Z", permissions: DEFAULT_INSTALLATION_PERMISSIONS,
      events: ["pull_request", "push"], setupUrl: null, installations: [...(appOptions.installations ?? [{ id: 1 }])],
      hook: appOptions.hookUrl ? { url: appOptions.hookUrl, content_type: "json", insecure_ssl: "0", secret: null } : null,
      key: keyLoader(appOptions.publicKey, appOptions.publicKeyPem),
    });
  }

  const addToken = (spec: string | TokenSpec) => {
    const s = typeof spec === "string" ? { token: spec } : spec;
    const user = s.installation ? state.user(`${s.login ?? "github-actions"}[bot]`, "Bot") : state.user(s.login ?? "octocat");
    const installation = s.installation
      ? { id: 0, permissions: DEFAULT_INSTALLATION_PERMISSIONS, repositories: null }
      : null;
    tokens.set(s.token, { user, installation, expiresAt: null });
  };
  for (const spec of options.tokens ?? []) addToken(spec);

  const ready = (async () => {
    for (const init of options.repos ?? []) await state.createRepo(init);
  })();

  const urls = (c: Ctx): shape.Urls => ({ api: new URL(c.req.url).origin, html: htmlOrigin });
  const botUser = (slug: string) => state.user(`${slug}[bot]`, "Bot");

  const app = new Hono<Env>();

  app.onError((error, c) => {
    if (error instanceof GitHubError) return c.json(error.toBody(), error.status);
    return c.json({ message: `Server Error: ${error.message}`, documentation_url: DOCS, status: "500" }, 500);
  });
  app.notFound((c) => c.json(notFound().toBody(), 404));

  // Everything outside /__fake/: log, fault injection, User-Agent and authentication, in GitHub's order.
  app.use("*", async (c, next) => {
    await ready;
    const url = new URL(c.req.url);
    if (url.pathname.startsWith("/__fake/")) return next();
    const header = c.req.header("authorization") ?? "";
    const scheme = header === "" ? "none" : (header.split(" ")[0] ?? "").toLowerCase();
    const auth = scheme === "none" || scheme === "token" || scheme === "bearer" || scheme === "basic" ? scheme : "other";
    const userAgent = (c.req.header("user-agent") ?? "") !== "";
    let identityLabel: string | null = null;
    let faulted = false;
    try {
      const fault = state.takeFault(c.req.method, url.pathname);
      const faultResponse = (f: FaultRecord) =>
        new Response(typeof f.body === "string" ? f.body : JSON.stringify(f.body), {
          status: f.status,
          headers: { "content-type": typeof f.body === "string" ? "text/plain" : "application/json; charset=utf-8", ...f.headers },
        });
      if (fault && !fault.after) {
        faulted = true;
        c.res = faultResponse(fault);
        return;
      }
      if (!userAgent) {
        c.res = new Response(USER_AGENT_MESSAGE, { status: 403, headers: { "content-type": "text/html; charset=utf-8" } });
        return;
      }
      const identity = await authenticate(header);
      identityLabel =
        identity.kind === "anonymous" ? null : identity.kind === "app" ? `app:${identity.appId}` : identity.entry.user.login;
      c.set("identity", identity);
      await next();
      if (fault) {
        faulted = true;
        c.res = faultResponse(fault);
      }
    } catch (error) {
      // Auth failures happen here, before any handler; answer them now so the log records the real status.
      if (!(error instanceof GitHubError)) throw error;
      c.res = c.json(error.toBody(), error.status);
    } finally {
      state.requests.push({
        method: c.req.method,
        path: url.pathname,
        query: url.search,
        status: c.res.status,
        userAgent,
        auth,
        identity: identityLabel,
        faulted,
        at: state.isoNow(),
      });
    }
  });

  async function authenticate(header: string): Promise<Identity> {
    if (header === "") return { kind: "anonymous" };
    const [scheme = "", ...rest] = header.split(" ");
    let credential = rest.join(" ").trim();
    const lower = scheme.toLowerCase();
    if (lower === "basic") {
      let decoded: string;
      try {
        decoded = atob(credential);
      } catch {
        throw new GitHubError(401, "Bad credentials");
      }
      credential = decoded.slice(decoded.indexOf(":") + 1);
    } else if (lower !== "token" && lower !== "bearer") {
      throw new GitHubError(401, "Bad credentials");
    }
    if (apps.size > 0 && looksLikeJwt(credential)) {
      const verdict = await apps.verify(credential, Math.floor(state.now() / 1000));
      if (!verdict.ok) throw new GitHubError(401, verdict.message);
      return { kind: "app", appId: verdict.appId };
    }
    const entry = tokens.get(credential);
    if (!entry || (entry.expiresAt !== null && entry.expiresAt <= state.now())) {
      throw new GitHubError(401, "Bad credentials");
    }
    return { kind: "token", entry };
  }

  /** The repository, if this identity may see it (404 otherwise, as GitHub hides private ones) and holds `permission`. */
  function access(c: Ctx, permission: string, level: Permission): { repo: FakeRepo; actor: UserRecord | null } {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    if (!repo) throw notFound();
    const identity = c.get("identity");
    if (identity.kind === "anonymous") {
      if (repo.isPrivate) throw notFound();
      if (level === "write") throw new GitHubError(401, "Requires authentication");
      return { repo, actor: null };
    }
    if (identity.kind === "app") {
      throw new GitHubError(403, "Resource not accessible by integration");
    }
    const grant = identity.entry.installation;
    if (grant) {
      if (grant.repositories && !grant.repositories.has(repo.fullName.toLowerCase())) throw notFound();
      const held = grant.permissions[permission];
      const alternatives = permission === "pull_requests" ? [held, grant.permissions["issues"]] : [held];
      const ok = alternatives.some((p) => p === "write" || (p === "read" && level === "read"));
      if (!ok) throw new GitHubError(403, "Resource not accessible by integration");
    }
    return { repo, actor: identity.entry.user };
  }

  function requireActor(actor: UserRecord | null): UserRecord {
    if (!actor) throw new GitHubError(401, "Requires authentication");
    return actor;
  }

  function requireApp(c: Ctx): AppRecord {
    const identity = c.get("identity");
    const record = identity.kind === "app" ? apps.apps.get(identity.appId) : undefined;
    if (!record) throw new GitHubError(401, "A JSON web token could not be decoded", "https://docs.github.com/rest");
    return record;
  }

  function installationFor(repo: FakeRepo, record: AppRecord): InstallationSpec | undefined {
    return record.installations.find(
      (i) =>
        (i.account === undefined || i.account.toLowerCase() === repo.owner.login.toLowerCase()) &&
        (i.repositories === undefined || i.repositories.some((r) => r.toLowerCase() === repo.fullName.toLowerCase())),
    );
  }

  function installationJson(record: AppRecord, spec: InstallationSpec, c: Ctx, accountLogin?: string) {
    const account = state.user(spec.account ?? accountLogin ?? "fake-org", "Organization");
    return {
      id: spec.id,
      account: shape.simpleUser(account, urls(c)),
      repository_selection: spec.repositories ? "selected" : "all",
      access_tokens_url: `${urls(c).api}/app/installations/${spec.id}/access_tokens`,
      repositories_url: `${urls(c).api}/installation/repositories`,
      html_url: `${htmlOrigin}/organizations/${account.login}/settings/installations/${spec.id}`,
      app_id: record.id,
      app_slug: record.slug,
      target_id: account.id,
      target_type: account.type,
      permissions: spec.permissions ?? record.permissions,
      events: record.events,
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  // The manifest flow, the App's webhook config, installing, branch protection (before the branch route, which would take `…/protection`).
  registerAppRoutes(app, {
    state, apps, urls, requireApp, webUser: options.webUser ?? "octocat",
    caller: (c) => {
      const id = c.get("identity");
      if (id.kind !== "token") return id.kind === "app" ? { kind: "app" } : { kind: "anonymous" };
      return id.entry.installation ? { kind: "installation", ...id.entry.installation } : { kind: "user", login: id.entry.user.login };
    },
  });

  // ---- GitHub App ----

  app.get("/app", (c) => c.json(appJson(requireApp(c), urls(c))));

  app.get("/app/installations", (c) => {
    const record = requireApp(c);
    return c.json(paginate(c, record.installations).map((i) => installationJson(record, i, c)));
  });

  app.get("/app/installations/:id", (c) => {
    const record = requireApp(c);
    const spec = record.installations.find((i) => String(i.id) === c.req.param("id"));
    if (!spec) throw notFound("https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app");
    return c.json(installationJson(record, spec, c));
  });

  app.post("/app/installations/:id/access_tokens", async (c) => {
    const record = requireApp(c);
    const docs = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app";
    const spec = record.installations.find((i) => String(i.id) === c.req.param("id"));
    if (!spec) throw notFound(docs);
    const body = await readJson(c, true);
    const granted = spec.permissions ?? record.permissions;
    let permissions: Permissions = granted;
    if (body["permissions"] !== undefined) {
      const asked = body["permissions"];
      if (!isRecord(asked)) throw invalidRequest("For 'properties/permissions', it is not an object.", docs);
      const narrowed: Record<string, Permission> = {};
      for (const [name, level] of Object.entries(asked)) {
        const have = granted[name];
        if ((level !== "read" && level !== "write") || !have || (level === "write" && have !== "write")) {
          throw new GitHubError(422, "The permissions requested are not granted to this installation.", docs);
        }
        narrowed[name] = level;
      }
      permissions = narrowed;
    }
    let repositories: Set<string> | null = spec.repositories ? new Set(spec.repositories.map((r) => r.toLowerCase())) : null;
    const askedRepos = body["repositories"];
    if (askedRepos !== undefined) {
      if (!Array.isArray(askedRepos)) throw invalidRequest("For 'properties/repositories', it is not an array.", docs);
      const chosen = new Set<string>();
      for (const name of askedRepos) {
        const repo = [...state.repos.values()].find(
          (r) => typeof name === "string" && r.name.toLowerCase() === name.toLowerCase() && installationFor(r, record) === spec,
        );
        if (!repo) {
          throw new GitHubError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", docs);
        }
        chosen.add(repo.fullName.toLowerCase());
      }
      repositories = chosen;
    }
    const token = `ghs_${randomAlnum(36)}`;
    const expiresAt = state.now() + INSTALLATION_TOKEN_TTL_MS;
    tokens.set(token, { user: botUser(record.slug), installation: { id: spec.id, permissions, repositories }, expiresAt });
    return c.json(
      {
        token,
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
        permissions,
        repository_selection: repositories ? "selected" : "all",
        ...(repositories
          ? { repositories: [...repositories].flatMap((r) => { const [o = "", n = ""] = r.split("/"); const repo = state.repo(o, n); return repo ? [shape.repository(repo, urls(c))] : []; }) }
          : {}),
      },
      201,
    );
  });

  app.get("/repos/:owner/:repo/installation", (c) => {
    const record = requireApp(c);
    const repo = state.repo(c.req.param("owner"), c.req.param("repo"));
    const spec = repo ? installationFor(repo, record) : undefined;
    if (!repo || !spec) throw notFound("https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app");
    return c.json(installationJson(record, spec, c, repo.owner.login));
  });

  // ---- The authenticated user ----

  /** A user's token gets its user; an installation token is refused, as GitHub refuses it. */
  app.get("/user", (c) => {
    const identity = c.get("identity");
    if (identity.kind === "anonymous") throw new GitHubError(401, "Requires authentication");
    if (identity.kind === "app" || identity.entry.installation) throw new GitHubError(403, "Resource not accessible by integration");
    return c.json({ ...shape.simpleUser(identity.entry.user, urls(c)), name: null, email: null });
  });

  // ---- Repository contents ----

  app.get("/repos/:owner/:repo", (c) => {
    const { repo } = access(c, "metadata", "read");
    return c.json(shape.repository(repo, urls(c)));
  });

  app.get("/repos/:owner/:repo/branches/:branch{.+}", (c) => {
    const { repo } = access(c, "metadata", "read");
    const name = c.req.param("branch");
    const sha = repo.branches.get(name);
    const commit = sha ? repo.commits.get(sha) : undefined;
    if (!commit) throw new GitHubError(404, "Branch not found", "https://docs.github.com/rest/branches/branches#get-a-branch");
    return c.json(shape.branch(repo, name, commit, urls(c)));
  });

  app.get("/repos/:owner/:repo/git/ref/:ref{.+}", (c) => {
    const { repo } = access(c, "contents", "read");
    const ref = c.req.param("ref");
    const branch = ref.replace(/^heads\//, "");
    const sha = ref.startsWith("heads/") ? repo.branches.get(branch) : undefined;
    if (!sha) throw notFound("https://docs.github.com/rest/git/refs#get-a-reference");
    const api = `${urls(c).api}/repos/${repo.fullName}`;
    return c.json({
      ref: `refs/${ref}`,
      node_id: shape.nodeId("Ref", `${repo.id}:${ref}`),
      url: `${api}/git/refs/${ref}`,
      object: { sha, type: "commit", url: `${api}/git/commits/${sha}` },
    });
  });

  registerReviewRoutes(app, {
    state,
    access,
    orgAccess(c, permission) {
      const identity = c.get("identity");
      if (identity.kind === "anonymous") throw new GitHubError(401, "Requires authentication");
      if (identity.kind === "app") throw new GitHubError(403, "Resource not accessible by integration");
      const held = identity.entry.installation?.permissions[permission];
      if (identity.entry.installation && held !== "read" && held !== "write") throw new GitHubError(403, "Resource not accessible by integration");
    },
    urls,
    paginate,
    resolveCommitOr422,
    readJson,
    send(delivery) {
      state.webhooks.push(delivery);
      options.onWebhook?.(delivery);
    },
  });

  app.get("/repos/:owner/:repo/commits/:ref{.+}/check-runs", (c) => {
    const { repo } = access(c, "checks", "read");
    const sha = resolveCommitOr422(repo, c.req.param("ref"));
    let runs = [...repo.checkRuns.values()].filter((r) => r.headSha === sha);
    const name = c.req.query("check_name");
    if (name !== undefined) runs = runs.filter((r) => r.name === name);
    const status = c.req.query("status");
    if (status !== undefined) runs = runs.filter((r) => r.status === status);
    if ((c.req.query("filter") ?? "latest") === "latest") {
      const newest = new Map<string, CheckRunRecord>();
      for (const run of runs) if ((newest.get(run.name)?.id ?? 0) < run.id) newest.set(run.name, run);
      runs = [...newest.values()];
    }
    runs.sort((a, b) => b.id - a.id);
    return c.json({ total_count: runs.length, check_runs: paginate(c, runs).map((r) => shape.checkRun(repo, r, urls(c), appInfo)) });
  });

  app.get("/repos/:owner/:repo/commits/:ref{.+}/statuses", (c) => {
    const { repo } = access(c, "statuses", "read");
    const sha = resolveCommitOr422(repo, c.req.param("ref"));
    const list = repo.statuses.filter((s) => s.sha === sha).sort((a, b) => b.id - a.id);
    return c.json(paginate(c, list).map((s) => shape.status(repo, s, urls(c))));
  });

  app.get("/repos/:owner/:repo/commits/:ref{.+}/status", (c) => {
    const { repo } = access(c, "statuses", "read");
    const sha = resolveCommitOr422(repo, c.req.param("ref"));
    const latest = new Map<string, StatusRecord>();
    for (const s of repo.statuses) if (s.sha === sha && (latest.get(s.context)?.id ?? 0) < s.id) latest.set(s.context, s);
    const list = [...latest.values()];
    const combined = list.some((s) => s.state === "error" || s.state === "failure")
      ? "failure"
      : list.length === 0 || list.some((s) => s.state === "pending")
        ? "pending"
        : "success";
    const api = `${urls(c).api}/repos/${repo.fullName}`;
    return c.json({
      state: combined,
      statuses: list.map((s) => shape.status(repo, s, urls(c))),
      sha,
      total_count: list.length,
      repository: shape.repository(repo, urls(c)),
      commit_url: `${api}/commits/${sha}`,
      url: `${api}/commits/${sha}/status`,
    });
  });

  app.get("/repos/:owner/:repo/commits/:ref{.+}", (c) => {
    const { repo } = access(c, "contents", "read");
    const sha = resolveCommitOr422(repo, c.req.param("ref"));
    const commit = repo.commits.get(sha);
    if (!commit) throw notFound();
    const parent = commit.parents[0] ? repo.commits.get(commit.parents[0]) : undefined;
    const before = parent ? repo.flatten(parent.tree) : new Map();
    const after = repo.flatten(commit.tree);
    const api = `${urls(c).api}/repos/${repo.fullName}`;
    const files: Array<Record<string, unknown>> = [];
    let additions = 0;
    let deletions = 0;
    for (const path of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(path);
      const now = after.get(path);
      if (old?.sha === now?.sha) continue;
      const counts = lineDiff(repo.blobs.get(old?.sha ?? ""), repo.blobs.get(now?.sha ?? ""));
      additions += counts.additions;
      deletions += counts.deletions;
      const fileSha = now?.sha ?? old?.sha ?? "";
      files.push({
        sha: fileSha,
        filename: path,
        status: !old ? "added" : !now ? "removed" : "modified",
        additions: counts.additions,
        deletions: counts.deletions,
        changes: counts.additions + counts.deletions,
        blob_url: `${htmlOrigin}/${repo.fullName}/blob/${sha}/${path}`,
        raw_url: `${htmlOrigin}/${repo.fullName}/raw/${sha}/${path}`,
        contents_url: `${api}/contents/${path}?ref=${sha}`,
      });
    }
    return c.json({
      ...shape.commit(repo, commit, urls(c)),
      stats: { total: additions + deletions, additions, deletions },
      files,
    });
  });

  app.get("/repos/:owner/:repo/git/trees/:ref{.+}", (c) => {
    const { repo } = access(c, "contents", "read");
    const sha = repo.resolveTree(c.req.param("ref"));
    if (!sha) throw notFound("https://docs.github.com/rest/git/trees#get-a-tree");
    // GitHub recurses whenever `recursive` is present, whatever its value ("0" and "false" included).
    const recursive = c.req.query("recursive") !== undefined;
    const entries = recursive
      ? repo.walk(sha)
      : (repo.trees.get(sha) ?? []).map((e) => ({ ...e, path: e.name }));
    const api = `${urls(c).api}/repos/${repo.fullName}`;
    return c.json({
      sha,
      url: `${api}/git/trees/${sha}`,
      tree: entries.map((e) => ({
        path: e.path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === "blob" ? { size: repo.blobs.get(e.sha)?.length ?? 0 } : {}),
        url: `${api}/git/${e.type === "blob" ? "blobs" : "trees"}/${e.sha}`,
      })),
      truncated: false,
    });
  });

  app.get("/repos/:owner/:repo/git/blobs/:sha", (c) => {
    const { repo } = access(c, "contents", "read");
    const sha = c.req.param("sha");
    const content = repo.blobs.get(sha);
    if (!content) throw notFound("https://docs.github.com/rest/git/blobs#get-a-blob");
    if (wantsRaw(c)) return c.body(content, 200, { "content-type": "application/vnd.github.raw" });
    return c.json(shape.blob(repo, sha, content, urls(c)));
  });

  app.get("/repos/:owner/:repo/contents/:path{.*}", (c) => contents(c));
  app.get("/repos/:owner/:repo/contents", (c) => contents(c));

  function contents(c: Ctx): Response {
    const { repo } = access(c, "contents", "read");
    const docs = "https://docs.github.com/rest/repos/contents#get-repository-content";
    const ref = c.req.query("ref") ?? repo.defaultBranch;
    const sha = repo.resolveCommit(ref);
    const commit = sha ? repo.commits.get(sha) : undefined;
    if (!commit) throw new GitHubError(404, `No commit found for the ref ${ref}`, docs);
    const path = (c.req.param("path") ?? "").replace(/^\/+|\/+$/g, "");
    const entry = path === "" ? { type: "tree" as const, sha: commit.tree } : repo.lookupPath(commit.tree, path);
    if (!entry) throw notFound(docs);
    if (entry.type === "tree") {
      const list = (repo.trees.get(entry.sha) ?? []).map((e) => {
        const childPath = path === "" ? e.name : `${path}/${e.name}`;
        const size = e.type === "blob" ? (repo.blobs.get(e.sha)?.length ?? 0) : 0;
        return shape.contentEntry(repo, childPath, e.type === "blob" ? "file" : "dir", e.sha, size, ref, urls(c));
      });
      return c.json(list);
    }
    const content = repo.blobs.get(entry.sha) ?? new Uint8Array();
    if (wantsRaw(c)) return c.body(new Uint8Array(content), 200, { "content-type": "application/vnd.github.raw" });
    const base = shape.contentEntry(repo, path, "file", entry.sha, content.length, ref, urls(c));
    return c.json({ ...base, content: shape.blob(repo, entry.sha, content, urls(c)).content, encoding: "base64" });
  }

  // ---- Pull requests (read) ----

  app.get("/repos/:owner/:repo/pulls", (c) => {
    const { repo } = access(c, "pull_requests", "read");
    const wanted = c.req.query("state") ?? "open";
    const list = repo
      .pullRequests()
      .filter((p) => wanted === "all" || p.state === wanted)
      .filter((p) => c.req.query("base") === undefined || p.pull?.baseRef === c.req.query("base"))
      .sort((a, b) => b.number - a.number);
    return c.json(paginate(c, list).map((p) => shape.pullRequest(repo, p, urls(c))));
  });

  app.get("/repos/:owner/:repo/pulls/:number", (c) => {
    const { repo } = access(c, "pull_requests", "read");
    const pr = repo.issues.get(Number(c.req.param("number")));
    if (!pr?.pull) throw notFound("https://docs.github.com/rest/pulls/pulls#get-a-pull-request");
    return c.json(shape.pullRequest(repo, pr, urls(c)));
  });

  // ---- Issue comments (the sticky plan comment) ----

  const commentDocs = {
    list: "https://docs.github.com/rest/issues/comments#list-issue-comments",
    create: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    update: "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
  };

  function issueOr404(repo: FakeRepo, raw: string | undefined, docs: string): IssueRecord {
    const found = repo.issues.get(Number(raw));
    if (!found) throw notFound(docs);
    return found;
  }

  /** PR comments need pull_requests or issues permission; plain-issue comments need issues. */
  const commentPermission = (c: Ctx, level: Permission) => {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    const number = Number(c.req.param("number"));
    const isPull = repo?.issues.get(number)?.pull !== undefined;
    return access(c, isPull ? "pull_requests" : "issues", level);
  };

  app.get("/repos/:owner/:repo/issues/:number{[0-9]+}/comments", (c) => {
    const { repo } = commentPermission(c, "read");
    const issue = issueOr404(repo, c.req.param("number"), commentDocs.list);
    const since = c.req.query("since");
    const list = [...repo.comments.values()]
      .filter((x) => x.issueNumber === issue.number && (since === undefined || x.updatedAt >= since))
      .sort((a, b) => a.id - b.id);
    return c.json(paginate(c, list).map((x) => shape.comment(repo, x, urls(c), appInfo)));
  });

  app.post("/repos/:owner/:repo/issues/:number{[0-9]+}/comments", async (c) => {
    const { repo, actor } = commentPermission(c, "write");
    const issue = issueOr404(repo, c.req.param("number"), commentDocs.create);
    const body = commentBody(await readJson(c), commentDocs.create);
    const now = state.isoNow();
    const record: CommentRecord = {
      id: state.newId(),
      issueNumber: issue.number,
      body,
      user: requireActor(actor),
      appId: isInstallation(c) ? (appOptions?.id ?? null) : null,
      createdAt: now,
      updatedAt: now,
    };
    repo.comments.set(record.id, record);
    // GitHub delivers issue_comment for every new comment, the App's own included (the receiver must skip those).
    const issuePayload = { ...shape.issue(repo, issue, urls(c)), ...(issue.pull ? { pull_request: { url: `${urls(c).api}/repos/${repo.fullName}/pulls/${issue.number}`, html_url: `${urls(c).html}/${repo.fullName}/pull/${issue.number}` } } : {}) };
    const sent = { event: "issue_comment", delivery: crypto.randomUUID(), payload: { action: "created", issue: issuePayload, comment: shape.comment(repo, record, urls(c), appInfo), repository: shape.repository(repo, urls(c)), sender: shape.simpleUser(record.user, urls(c)) } };
    state.webhooks.push(sent);
    options.onWebhook?.(sent);
    c.header("Location", `${urls(c).api}/repos/${repo.fullName}/issues/comments/${record.id}`);
    return c.json(shape.comment(repo, record, urls(c), appInfo), 201);
  });

  const commentById = (c: Ctx, level: Permission, docs: string) => {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    const found = repo?.comments.get(Number(c.req.param("id")));
    const isPull = found ? repo?.issues.get(found.issueNumber)?.pull !== undefined : false;
    const granted = access(c, isPull ? "pull_requests" : "issues", level);
    if (!found) throw notFound(docs);
    return { ...granted, comment: found };
  };

  app.get("/repos/:owner/:repo/issues/comments/:id{[0-9]+}", (c) => {
    const { repo, comment } = commentById(c, "read", commentDocs.update);
    return c.json(shape.comment(repo, comment, urls(c), appInfo));
  });

  app.patch("/repos/:owner/:repo/issues/comments/:id{[0-9]+}", async (c) => {
    const { repo, comment } = commentById(c, "write", commentDocs.update);
    comment.body = commentBody(await readJson(c), commentDocs.update);
    comment.updatedAt = state.isoNow();
    return c.json(shape.comment(repo, comment, urls(c), appInfo));
  });

  app.delete("/repos/:owner/:repo/issues/comments/:id{[0-9]+}", (c) => {
    const { repo, comment } = commentById(c, "write", commentDocs.update);
    repo.comments.delete(comment.id);
    return c.body(null, 204);
  });

  function commentBody(input: Record<string, unknown>, docs: string): string {
    const body = input["body"];
    if (typeof body !== "string" || body === "") {
      throw validationFailed([{ resource: "IssueComment", code: "missing_field", field: "body" }], docs);
    }
    if ([...body].length > COMMENT_BODY_MAX_CHARS) {
      throw validationFailed(
        [{ resource: "IssueComment", code: "unprocessable", field: "data", message: `Body is too long (maximum is ${COMMENT_BODY_MAX_CHARS} characters)` }],
        docs,
      );
    }
    return body;
  }

  const isInstallation = (c: Ctx) => {
    const identity = c.get("identity");
    return identity.kind === "token" && identity.entry.installation !== null;
  };

  // ---- Check runs ----

  const checkDocs = {
    create: "https://docs.github.com/rest/checks/runs#create-a-check-run",
    update: "https://docs.github.com/rest/checks/runs#update-a-check-run",
  };

  /** Only GitHub Apps may write check runs; a personal token gets this 403 from GitHub. */
  function requireAppToken(c: Ctx, docs: string): void {
    if (!isInstallation(c)) throw new GitHubError(403, "You must authenticate via a GitHub App.", docs);
  }

  app.post("/repos/:owner/:repo/check-runs", async (c) => {
    const { repo } = access(c, "checks", "write");
    requireAppToken(c, checkDocs.create);
    const input = await readJson(c);
    const missing = ["name", "head_sha"].filter((f) => typeof input[f] !== "string" || input[f] === "");
    if (missing.length > 0) throw invalidRequest(notSupplied(missing), checkDocs.create);
    const headSha = String(input["head_sha"]);
    if (!repo.commits.has(headSha)) throw new GitHubError(422, `No commit found for SHA: ${headSha}`, checkDocs.create);
    const output = checkOutput(input["output"], true, checkDocs.create);
    const { status, conclusion, completedAt } = checkState(input, null, checkDocs.create);
    const run: CheckRunRecord = {
      id: state.newId(),
      headSha,
      name: String(input["name"]),
      status,
      conclusion,
      startedAt: optionalString(input, "started_at", checkDocs.create) ?? state.isoNow(),
      completedAt,
      detailsUrl: optionalString(input, "details_url", checkDocs.create),
      externalId: optionalString(input, "external_id", checkDocs.create),
      output: { title: output?.title ?? null, summary: output?.summary ?? null, text: output?.text ?? null },
      annotations: output?.annotations ?? [],
      appId: appOptions?.id ?? null,
    };
    repo.checkRuns.set(run.id, run);
    return c.json(shape.checkRun(repo, run, urls(c), appInfo), 201);
  });

  app.patch("/repos/:owner/:repo/check-runs/:id{[0-9]+}", async (c) => {
    const { repo } = access(c, "checks", "write");
    requireAppToken(c, checkDocs.update);
    const run = repo.checkRuns.get(Number(c.req.param("id")));
    if (!run) throw notFound(checkDocs.update);
    const input = await readJson(c);
    const output = checkOutput(input["output"], false, checkDocs.update);
    const next = checkState(input, run, checkDocs.update);
    const name = optionalString(input, "name", checkDocs.update);
    const detailsUrl = optionalString(input, "details_url", checkDocs.update);
    const externalId = optionalString(input, "external_id", checkDocs.update);
    const startedAt = optionalString(input, "started_at", checkDocs.update);
    if (name !== null) run.name = name;
    if (detailsUrl !== null) run.detailsUrl = detailsUrl;
    if (externalId !== null) run.externalId = externalId;
    if (startedAt !== null) run.startedAt = startedAt;
    run.status = next.status;
    run.conclusion = next.conclusion;
    run.completedAt = next.completedAt;
    if (output) {
      if (output.title !== null) run.output.title = output.title;
      run.output.summary = output.summary;
      run.output.text = output.text;
      // GitHub appends: each update adds up to 50 more annotations to the run.
      run.annotations.push(...output.annotations);
    }
    return c.json(shape.checkRun(repo, run, urls(c), appInfo));
  });

  app.get("/repos/:owner/:repo/check-runs/:id{[0-9]+}", (c) => {
    const { repo } = access(c, "checks", "read");
    const run = repo.checkRuns.get(Number(c.req.param("id")));
    if (!run) throw notFound();
    return c.json(shape.checkRun(repo, run, urls(c), appInfo));
  });

  app.get("/repos/:owner/:repo/check-runs/:id{[0-9]+}/annotations", (c) => {
    const { repo } = access(c, "checks", "read");
    const run = repo.checkRuns.get(Number(c.req.param("id")));
    if (!run) throw notFound();
    return c.json(paginate(c, run.annotations).map((a) => shape.annotation(repo, run, a, urls(c))));
  });

  function checkState(input: Record<string, unknown>, current: CheckRunRecord | null, docs: string) {
    const statuses: readonly CheckStatus[] = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
    const conclusions: readonly CheckConclusion[] = ["success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"];
    const rawStatus = input["status"];
    const rawConclusion = input["conclusion"];
    if (rawStatus !== undefined && !statuses.includes(rawStatus as CheckStatus)) {
      throw invalidRequest(`For 'properties/status', ${JSON.stringify(rawStatus)} is not a member of ${JSON.stringify(statuses)}.`, docs);
    }
    if (rawConclusion !== undefined && rawConclusion !== null && !conclusions.includes(rawConclusion as CheckConclusion)) {
      throw invalidRequest(`For 'properties/conclusion', ${JSON.stringify(rawConclusion)} is not a member of ${JSON.stringify(conclusions)}.`, docs);
    }
    let conclusion = (rawConclusion as CheckConclusion | null | undefined) ?? current?.conclusion ?? null;
    // Providing a conclusion completes the run, as GitHub documents.
    const status: CheckStatus = rawConclusion ? "completed" : ((rawStatus as CheckStatus | undefined) ?? current?.status ?? "queued");
    if (status !== "completed" && rawStatus !== undefined) conclusion = null;
    if (status === "completed" && conclusion === null) throw invalidRequest(notSupplied(["conclusion"]), docs);
    const completedAt =
      status === "completed"
        ? (optionalString(input, "completed_at", docs) ?? current?.completedAt ?? state.isoNow())
        : null;
    return { status, conclusion, completedAt };
  }

  function checkOutput(raw: unknown, creating: boolean, docs: string) {
    if (raw === undefined) return null;
    if (!isRecord(raw)) throw invalidRequest("For 'properties/output', it is not an object.", docs);
    const required = creating ? ["title", "summary"] : ["summary"];
    const missing = required.filter((f) => typeof raw[f] !== "string");
    if (missing.length > 0) throw invalidRequest(notSupplied(missing), docs);
    const errors: ValidationErrorItem[] = [];
    for (const field of ["summary", "text"] as const) {
      const value = raw[field];
      if (typeof value === "string" && utf8(value).length > CHECK_OUTPUT_MAX_BYTES) {
        errors.push({ resource: "CheckRun", code: "custom", field, message: `${field} exceeds a maximum bytesize of ${CHECK_OUTPUT_MAX_BYTES}` });
      }
    }
    if (errors.length > 0) throw validationFailed(errors, docs);
    const annotations = raw["annotations"] ?? [];
    if (!Array.isArray(annotations)) throw invalidRequest("For 'properties/annotations', it is not an array.", docs);
    if (annotations.length > ANNOTATIONS_PER_REQUEST) {
      throw invalidRequest(`No more than ${ANNOTATIONS_PER_REQUEST} items are allowed; ${annotations.length} were supplied.`, docs);
    }
    return {
      title: typeof raw["title"] === "string" ? raw["title"] : null,
      summary: String(raw["summary"]),
      text: typeof raw["text"] === "string" ? raw["text"] : null,
      annotations: annotations.map((a) => checkAnnotation(a, docs)),
    };
  }

  function checkAnnotation(raw: unknown, docs: string): Annotation {
    if (!isRecord(raw)) throw invalidRequest("For 'items', it is not an object.", docs);
    const missing = ["path", "start_line", "end_line", "annotation_level", "message"].filter((f) => raw[f] === undefined);
    if (missing.length > 0) throw invalidRequest(notSupplied(missing), docs);
    const level = raw["annotation_level"];
    if (level !== "notice" && level !== "warning" && level !== "failure") {
      throw invalidRequest(`For 'properties/annotation_level', ${JSON.stringify(level)} is not a member of ["notice", "warning", "failure"].`, docs);
    }
    const int = (f: string) => {
      const v = raw[f];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
        throw invalidRequest(`For 'properties/${f}', ${JSON.stringify(v)} is not an integer.`, docs);
      }
      return v;
    };
    const startLine = int("start_line") ?? 1;
    const endLine = int("end_line") ?? 1;
    const startColumn = int("start_column");
    const endColumn = int("end_column");
    if ((startColumn !== undefined || endColumn !== undefined) && startLine !== endLine) {
      throw validationFailed([{ resource: "CheckRun", code: "custom", field: "annotations", message: "start_column and end_column may only be given when start_line equals end_line" }], docs);
    }
    if (typeof raw["path"] !== "string" || typeof raw["message"] !== "string") {
      throw invalidRequest("For 'properties/path' and 'properties/message', expected strings.", docs);
    }
    return {
      path: raw["path"],
      start_line: startLine,
      end_line: endLine,
      ...(startColumn !== undefined ? { start_column: startColumn } : {}),
      ...(endColumn !== undefined ? { end_column: endColumn } : {}),
      annotation_level: level,
      message: raw["message"],
      ...(typeof raw["title"] === "string" ? { title: raw["title"] } : {}),
      ...(typeof raw["raw_details"] === "string" ? { raw_details: raw["raw_details"] } : {}),
    };
  }

  // ---- Commit statuses ----

  app.post("/repos/:owner/:repo/statuses/:sha", async (c) => {
    const { repo, actor } = access(c, "statuses", "write");
    const docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status";
    const sha = c.req.param("sha");
    if (!repo.commits.has(sha)) throw new GitHubError(422, `No commit found for SHA: ${sha}`, docs);
    const input = await readJson(c);
    const state_ = input["state"];
    if (state_ !== "error" && state_ !== "failure" && state_ !== "pending" && state_ !== "success") {
      throw validationFailed([{ resource: "Status", code: "custom", field: "state", message: "state is not included in the list" }], docs);
    }
    const description = optionalString(input, "description", docs);
    if (description !== null && [...description].length > STATUS_DESCRIPTION_MAX_CHARS) {
      throw validationFailed(
        [{ resource: "Status", code: "custom", field: "description", message: `description is too long (maximum is ${STATUS_DESCRIPTION_MAX_CHARS} characters)` }],
        docs,
      );
    }
    const record: StatusRecord = {
      id: state.newId(),
      sha,
      state: state_,
      description,
      targetUrl: optionalString(input, "target_url", docs),
      context: optionalString(input, "context", docs) ?? "default",
      creator: requireActor(actor),
      createdAt: state.isoNow(),
    };
    repo.statuses.push(record);
    return c.json(shape.status(repo, record, urls(c)), 201);
  });

  // ---- Issues (the drift issue) ----

  const issueDocs = {
    list: "https://docs.github.com/rest/issues/issues#list-repository-issues",
    create: "https://docs.github.com/rest/issues/issues#create-an-issue",
    update: "https://docs.github.com/rest/issues/issues#update-an-issue",
  };

  app.get("/repos/:owner/:repo/issues", (c) => {
    const { repo } = access(c, "issues", "read");
    const wantedState = c.req.query("state") ?? "open";
    const labels = (c.req.query("labels") ?? "").split(",").map((l) => l.trim().toLowerCase()).filter((l) => l !== "");
    const creator = c.req.query("creator")?.toLowerCase();
    const since = c.req.query("since");
    const sort = c.req.query("sort") ?? "created";
    const direction = c.req.query("direction") ?? "desc";
    // Like GitHub, this lists pull requests too (they carry a `pull_request` key).
    const list = [...repo.issues.values()]
      .filter((i) => wantedState === "all" || i.state === wantedState)
      .filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l)))
      .filter((i) => creator === undefined || i.user.login.toLowerCase() === creator)
      .filter((i) => since === undefined || i.updatedAt >= since)
      .sort((a, b) => {
        const key = (i: IssueRecord) => (sort === "updated" ? i.updatedAt : sort === "comments" ? String(countComments(repo, i)).padStart(9, "0") : i.createdAt);
        const order = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number;
        return direction === "asc" ? order : -order;
      });
    return c.json(paginate(c, list).map((i) => shape.issue(repo, i, urls(c))));
  });

  app.get("/repos/:owner/:repo/issues/:number{[0-9]+}", (c) => {
    const { repo } = access(c, "issues", "read");
    return c.json(shape.issue(repo, issueOr404(repo, c.req.param("number"), issueDocs.update), urls(c)));
  });

  app.post("/repos/:owner/:repo/issues", async (c) => {
    const { repo, actor } = access(c, "issues", "write");
    const input = await readJson(c);
    const title = input["title"];
    if ((typeof title !== "string" && typeof title !== "number") || title === "") {
      throw validationFailed([{ resource: "Issue", code: "missing_field", field: "title" }], issueDocs.create);
    }
    const fields = issueFields(input, issueDocs.create);
    const now = state.isoNow();
    const record: IssueRecord = {
      id: state.newId(),
      number: repo.nextNumber++,
      title: String(title),
      body: fields.body ?? null,
      state: "open",
      stateReason: null,
      labels: (fields.labels ?? []).map((l) => state.ensureLabel(repo, l).name),
      user: requireActor(actor),
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    };
    repo.issues.set(record.number, record);
    c.header("Location", `${urls(c).api}/repos/${repo.fullName}/issues/${record.number}`);
    return c.json(shape.issue(repo, record, urls(c)), 201);
  });

  app.patch("/repos/:owner/:repo/issues/:number{[0-9]+}", async (c) => {
    const { repo } = access(c, "issues", "write");
    const issue = issueOr404(repo, c.req.param("number"), issueDocs.update);
    const input = await readJson(c);
    const fields = issueFields(input, issueDocs.update);
    if (input["title"] !== undefined) {
      if (typeof input["title"] !== "string" || input["title"] === "") {
        throw validationFailed([{ resource: "Issue", code: "missing_field", field: "title" }], issueDocs.update);
      }
      issue.title = input["title"];
    }
    if (fields.body !== undefined) issue.body = fields.body;
    if (fields.labels !== undefined) issue.labels = fields.labels.map((l) => state.ensureLabel(repo, l).name);
    const now = state.isoNow();
    const nextState = input["state"];
    if (nextState !== undefined) {
      if (nextState !== "open" && nextState !== "closed") {
        throw validationFailed([{ resource: "Issue", code: "invalid", field: "state" }], issueDocs.update);
      }
      if (nextState !== issue.state) {
        issue.state = nextState;
        issue.closedAt = nextState === "closed" ? now : null;
        issue.stateReason = nextState === "closed" ? "completed" : "reopened";
      }
    }
    const reason = input["state_reason"];
    if (reason === "completed" || reason === "not_planned" || reason === "reopened") issue.stateReason = reason;
    issue.updatedAt = now;
    return c.json(shape.issue(repo, issue, urls(c)));
  });

  function issueFields(input: Record<string, unknown>, docs: string): { body?: string | null; labels?: string[] } {
    const out: { body?: string | null; labels?: string[] } = {};
    const body = input["body"];
    if (body !== undefined) {
      if (body !== null && typeof body !== "string") throw invalidRequest("For 'properties/body', it is not a string.", docs);
      if (typeof body === "string" && [...body].length > COMMENT_BODY_MAX_CHARS) {
        throw validationFailed([{ resource: "Issue", code: "custom", field: "body", message: `body is too long (maximum is ${COMMENT_BODY_MAX_CHARS} characters)` }], docs);
      }
      out.body = body;
    }
    const labels = input["labels"];
    if (labels !== undefined) {
      if (!Array.isArray(labels)) throw invalidRequest("For 'properties/labels', it is not an array.", docs);
      out.labels = labels.map((l) => {
        const name = typeof l === "string" ? l : isRecord(l) && typeof l["name"] === "string" ? l["name"] : null;
        if (name === null || name === "") throw validationFailed([{ resource: "Label", code: "invalid", field: "name" }], docs);
        return name;
      });
    }
    return out;
  }

  // ---- Actions secrets (repository and environment) ----

  const secretsDocs = "https://docs.github.com/rest/actions/secrets";

  function secretStore(c: Ctx, level: Permission): { store: SecretStore; org: boolean } {
    const login = c.req.param("org");
    if (login !== undefined) return { store: orgAccess(c, login, level).secrets, org: true };
    const env = c.req.param("env");
    const { repo } = access(c, env === undefined ? "secrets" : "environments", level);
    if (env === undefined) return { store: repo.actions, org: false };
    const store = repo.environments.get(env);
    if (!store) throw notFound(secretsDocs);
    return { store, org: false };
  }

  /** Organisation secrets need a signed-in caller; an installation token also needs organization_secrets. */
  function orgAccess(c: Ctx, login: string, level: Permission) {
    const org = state.orgs.get(login.toLowerCase());
    if (!org) throw notFound(secretsDocs);
    const identity = c.get("identity");
    if (identity.kind === "anonymous") throw new GitHubError(401, "Requires authentication");
    if (identity.kind === "app") throw new GitHubError(403, "Resource not accessible by integration");
    const held = identity.entry.installation?.permissions["organization_secrets"];
    if (identity.entry.installation && !(held === "write" || (held === "read" && level === "read"))) {
      throw new GitHubError(403, "Resource not accessible by integration");
    }
    return org;
  }

  for (const base of ["/repos/:owner/:repo/actions/secrets", "/repos/:owner/:repo/environments/:env/secrets", "/orgs/:org/actions/secrets"]) {
    app.get(`${base}/public-key`, (c) => {
      const { store } = secretStore(c, "read");
      return c.json({ key_id: store.publicKey.keyId, key: store.publicKey.key });
    });

    app.get(base, (c) => {
      const { store } = secretStore(c, "read");
      const list = [...store.secrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      return c.json({
        total_count: list.length,
        secrets: paginate(c, list).map((s) => ({ name: s.name, created_at: s.createdAt, updated_at: s.updatedAt })),
      });
    });

    app.get(`${base}/:name`, (c) => {
      const { store } = secretStore(c, "read");
      const secret = store.secrets.get(c.req.param("name").toUpperCase());
      if (!secret) throw notFound(secretsDocs);
      return c.json({ name: secret.name, created_at: secret.createdAt, updated_at: secret.updatedAt });
    });

    app.put(`${base}/:name`, async (c) => {
      const { store, org } = secretStore(c, "write");
      const name = c.req.param("name").toUpperCase();
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || name.startsWith("GITHUB_")) {
        throw validationFailed(
          [{ resource: "Secret", code: "invalid", field: "name", message: "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_" }],
          secretsDocs,
        );
      }
      const input = await readJson(c);
      const missing = ["encrypted_value", "key_id"].filter((f) => typeof input[f] !== "string" || input[f] === "");
      if (missing.length > 0) throw invalidRequest(notSupplied(missing), secretsDocs);
      const encryptedValue = String(input["encrypted_value"]);
      const keyId = String(input["key_id"]);
      const visibility = input["visibility"];
      if (org && visibility !== "all" && visibility !== "private") {
        // "selected" also needs selected_repository_ids; the fake serves the two forms ngrok-gitops sends.
        throw validationFailed([{ resource: "Secret", code: "invalid", field: "visibility", message: "visibility must be all or private" }], secretsDocs);
      }
      if (keyId !== store.publicKey.keyId) throw invalidRequest("key_id does not match the current public key.", secretsDocs);
      // Opened here with libsodium, independently of the sealing code under test: a box that does not open fails.
      const opened = openSealedBox(state.sodium, store.publicKey, encryptedValue);
      if (!opened.ok) {
        const why = {
          not_base64: "encrypted_value must be a Base64-encoded libsodium sealed box.",
          does_not_open: "encrypted_value could not be decrypted with the public key of key_id.",
          not_utf8: "encrypted_value must hold UTF-8 text.",
          too_large: `Secret value must be at most ${SECRET_VALUE_MAX_BYTES / 1024} KB.`,
        }[opened.reason];
        throw invalidRequest(why, secretsDocs);
      }
      const existing = store.secrets.get(name);
      const now = state.isoNow();
      store.secrets.set(name, { name, value: opened.value, encryptedValue, keyId, createdAt: existing?.createdAt ?? now, updatedAt: now, ...(org ? { visibility: String(visibility) } : {}) });
      // GitHub's Date header is its clock (the fake's, moved by /__fake/clock), as updated_at is.
      c.header("date", new Date(state.now()).toUTCString());
      return existing ? c.body(null, 204) : c.json({}, 201);
    });

    app.delete(`${base}/:name`, (c) => {
      const { store } = secretStore(c, "write");
      if (!store.secrets.delete(c.req.param("name").toUpperCase())) throw notFound(secretsDocs);
      return c.body(null, 204);
    });
  }

  // ---- Control API for tests (no auth; not part of GitHub) ----

  const view = (fullName: string, apiOrigin = "http://fake-github.local"): RepoView => {
    const [owner = "", name = ""] = fullName.split("/");
    const repo = state.repo(owner, name);
    if (!repo) throw notFound();
    const u: shape.Urls = { api: apiOrigin, html: htmlOrigin };
    const received = (store: SecretStore): ReceivedSecret[] =>
      [...store.secrets.values()].map((s) => ({
        name: s.name,
        encrypted_value: s.encryptedValue,
        key_id: s.keyId,
        created_at: s.createdAt,
        updated_at: s.updatedAt,
      }));
    return {
      full_name: repo.fullName,
      default_branch: repo.defaultBranch,
      private: repo.isPrivate,
      branches: Object.fromEntries(repo.branches),
      pulls: repo.pullRequests().map((p) => ({
        number: p.number,
        state: p.state,
        head_ref: p.pull?.headRef ?? "",
        head_sha: p.pull?.headSha ?? "",
        base_ref: p.pull?.baseRef ?? "",
        head_repo: p.pull?.headRepo ?? "",
      })),
      comments: [...repo.comments.values()].map((x) => ({ ...shape.comment(repo, x, u, appInfo), issue_number: x.issueNumber })),
      check_runs: [...repo.checkRuns.values()].map((r) => ({
        ...shape.checkRun(repo, r, u, appInfo),
        annotations: r.annotations.map((a) => shape.annotation(repo, r, a, u)),
      })),
      statuses: repo.statuses.map((s) => ({ ...shape.status(repo, s, u), sha: s.sha })),
      issues: [...repo.issues.values()].filter((i) => !i.pull).map((i) => shape.issue(repo, i, u)),
      secrets: {
        actions: received(repo.actions),
        environments: Object.fromEntries([...repo.environments].map(([env, store]) => [env, received(store)])),
      },
      public_keys: {
        actions: { key_id: repo.actions.publicKey.keyId, key: repo.actions.publicKey.key },
        environments: Object.fromEntries(
          [...repo.environments].map(([env, store]) => [env, { key_id: store.publicKey.keyId, key: store.publicKey.key }]),
        ),
      },
    };
  };

  const control = (c: Ctx) => {
    const repo = state.repo(c.req.param("owner") ?? "", c.req.param("repo") ?? "");
    if (!repo) throw notFound();
    return repo;
  };

  app.post("/__fake/reset", (c) => {
    state.reset();
    return c.body(null, 204);
  });

  app.post("/__fake/orgs", async (c) => {
    const input = await readJson(c);
    const org = await state.createOrg(String(input["login"] ?? ""));
    return c.json({ login: org.login }, 201);
  });

  /** An organisation's secrets as received (sealed, never their values). */
  app.get("/__fake/orgs/:org", (c) => {
    const org = state.orgs.get((c.req.param("org") ?? "").toLowerCase());
    if (!org) throw notFound();
    return c.json({
      login: org.login,
      secrets: [...org.secrets.secrets.values()].map((s) => ({
        name: s.name,
        encrypted_value: s.encryptedValue,
        visibility: s.visibility ?? null,
        key_id: s.keyId,
        created_at: s.createdAt,
        updated_at: s.updatedAt,
      })),
      public_key: { key_id: org.secrets.publicKey.keyId, key: org.secrets.publicKey.key },
    });
  });

  /** A new secrets key pair for the organisation; with `private_key` (base64, 32 bytes) the test's own, so it can open what arrives. */
  app.post("/__fake/orgs/:org/secrets/rotate-key", async (c) => {
    const org = state.orgs.get((c.req.param("org") ?? "").toLowerCase());
    if (!org) throw notFound();
    org.secrets.publicKey = newSecretKeyPair(state.sodium, secretKeyOf(await readJson(c, true)));
    return c.json({ key_id: org.secrets.publicKey.keyId, key: org.secrets.publicKey.key }, 201);
  });

  app.post("/__fake/repos", async (c) => {
    const input = await readJson(c);
    const fullName = typeof input["full_name"] === "string" ? input["full_name"] : `${String(input["owner"])}/${String(input["name"])}`;
    const files = input["files"];
    const repo = await state.createRepo({
      fullName,
      ...(typeof input["default_branch"] === "string" ? { defaultBranch: input["default_branch"] } : {}),
      ...(typeof input["private"] === "boolean" ? { private: input["private"] } : {}),
      ...(isRecord(files) ? { files: stringRecord(files) } : {}),
      ...(Array.isArray(input["environments"]) ? { environments: input["environments"].map(String) } : {}),
    });
    return c.json(view(repo.fullName, urls(c).api), 201);
  });

  app.get("/__fake/repos/:owner/:repo", (c) => c.json(view(control(c).fullName, urls(c).api)));

  app.post("/__fake/repos/:owner/:repo/commits", async (c) => {
    const repo = control(c);
    const input = await readJson(c);
    const files = input["files"];
    if (typeof input["branch"] !== "string" || !isRecord(files)) {
      throw validationFailed([{ resource: "Commit", code: "missing_field", field: "branch/files" }]);
    }
    const result = await state.commit(repo, {
      branch: input["branch"],
      files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v === null ? null : String(v)])),
      ...(typeof input["message"] === "string" ? { message: input["message"] } : {}),
      ...(typeof input["parent"] === "string" ? { parent: input["parent"] } : {}),
      ...(input["replace"] === true ? { replace: true } : {}),
    });
    return c.json(result, 201);
  });

  app.post("/__fake/repos/:owner/:repo/pulls", async (c) => {
    const repo = control(c);
    const input = await readJson(c);
    if (typeof input["head_ref"] !== "string") {
      throw validationFailed([{ resource: "PullRequest", code: "missing_field", field: "head_ref" }]);
    }
    const pr = state.upsertPullRequest(repo, {
      head_ref: input["head_ref"],
      ...(typeof input["number"] === "number" ? { number: input["number"] } : {}),
      ...(typeof input["head_sha"] === "string" ? { head_sha: input["head_sha"] } : {}),
      ...(typeof input["base_ref"] === "string" ? { base_ref: input["base_ref"] } : {}),
      ...(typeof input["title"] === "string" ? { title: input["title"] } : {}),
      ...(typeof input["body"] === "string" ? { body: input["body"] } : {}),
      ...(input["state"] === "open" || input["state"] === "closed" ? { state: input["state"] } : {}),
      ...(typeof input["merged"] === "boolean" ? { merged: input["merged"] } : {}),
      ...(typeof input["merge_commit_sha"] === "string" ? { merge_commit_sha: input["merge_commit_sha"] } : {}),
      ...(typeof input["head_repo"] === "string" ? { head_repo: input["head_repo"] } : {}),
      ...(typeof input["user"] === "string" ? { user: input["user"] } : {}),
    });
    return c.json(shape.pullRequest(repo, pr, urls(c)), 201);
  });

  app.post("/__fake/repos/:owner/:repo/environments", async (c) => {
    const repo = control(c);
    const input = await readJson(c);
    if (typeof input["name"] !== "string" || input["name"] === "") {
      throw validationFailed([{ resource: "Environment", code: "missing_field", field: "name" }]);
    }
    state.createEnvironment(repo, input["name"]);
    return c.json(view(repo.fullName, urls(c).api), 201);
  });

  /**
   * A new secrets key pair for the repository (or `{environment}`), as GitHub rotates it: old key ids are refused from
   * then on. With `private_key` (base64 of a 32-byte X25519 secret key) the pair is the test's own, so the test can
   * open the sealed boxes the Worker sends there while the fake never shows a value.
   */
  app.post("/__fake/repos/:owner/:repo/secrets/rotate-key", async (c) => {
    const repo = control(c);
    const input = await readJson(c, true);
    const environment = typeof input["environment"] === "string" ? input["environment"] : undefined;
    const store = state.rotateSecretKey(repo, environment, secretKeyOf(input));
    return c.json({ key_id: store.publicKey.keyId, key: store.publicKey.key }, 201);
  });

  app.get("/__fake/state", (c) =>
    c.json({ repos: [...state.repos.values()].map((r) => view(r.fullName, urls(c).api)), faults: state.faults, requests: state.requests }),
  );

  app.get("/__fake/requests", (c) => {
    const method = c.req.query("method")?.toUpperCase();
    const prefix = c.req.query("path");
    return c.json(state.requests.filter((r) => (method === undefined || r.method === method) && (prefix === undefined || r.path.startsWith(prefix))));
  });

  app.delete("/__fake/requests", (c) => {
    state.requests.length = 0;
    return c.body(null, 204);
  });

  app.post("/__fake/faults", async (c) => {
    const input = await readJson(c);
    const fault = state.addFault({
      status: Number(input["status"]),
      ...(typeof input["method"] === "string" ? { method: input["method"] } : {}),
      ...(typeof input["path"] === "string" ? { path: input["path"] } : {}),
      ...(typeof input["times"] === "number" ? { times: input["times"] } : {}),
      ...(input["body"] !== undefined ? { body: input["body"] } : {}),
      ...(isRecord(input["headers"]) ? { headers: stringRecord(input["headers"]) } : {}),
      ...(input["after"] === true ? { after: true } : {}),
    });
    return c.json(fault, 201);
  });

  app.get("/__fake/faults", (c) => c.json(state.faults));

  app.delete("/__fake/faults", (c) => {
    state.faults.length = 0;
    return c.body(null, 204);
  });

  app.post("/__fake/tokens", async (c) => {
    const input = await readJson(c);
    const token = typeof input["token"] === "string" && input["token"] !== "" ? input["token"] : `ghp_${randomAlnum(36)}`;
    addToken({
      token,
      ...(typeof input["login"] === "string" ? { login: input["login"] } : {}),
      ...(input["installation"] === true ? { installation: true } : {}),
    });
    return c.json({ token }, 201);
  });

  /** Moves the fake's clock, e.g. past an installation token's `expires_at`. */
  app.post("/__fake/clock", async (c) => {
    const input = await readJson(c);
    if (typeof input["advance_ms"] !== "number") throw validationFailed([{ resource: "Clock", code: "missing_field", field: "advance_ms" }]);
    state.clockOffsetMs += input["advance_ms"];
    return c.json({ now: state.isoNow() });
  });

  const openedSecret: FakeGitHub["openedSecret"] = (scope, name) => {
    let store: SecretStore | undefined;
    if ("org" in scope) store = state.orgs.get(scope.org.toLowerCase())?.secrets;
    else {
      const [owner = "", repoName = ""] = scope.repo.split("/");
      const repo = state.repo(owner, repoName);
      store = scope.environment === undefined ? repo?.actions : repo?.environments.get(scope.environment);
    }
    return store?.secrets.get(name.toUpperCase())?.value;
  };

  return { app, state, ready, view, addToken, apps, openedSecret };
}

/** The optional `private_key` of a rotate-key request: base64 of a 32-byte X25519 secret key. */
function secretKeyOf(input: Record<string, unknown>): Uint8Array | undefined {
  const text = input["private_key"];
  if (text === undefined) return undefined;
  const bytes = typeof text === "string" && /^[A-Za-z0-9+/]+=*$/.test(text) ? fromBase64(text) : null;
  if (!bytes || bytes.length !== 32) throw validationFailed([{ resource: "SecretKey", code: "invalid", field: "private_key", message: "base64 of a 32-byte X25519 secret key" }]);
  return bytes;
}

// ---- helpers ----

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function optionalString(input: Record<string, unknown>, field: string, docs: string): string | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalidRequest(`For 'properties/${field}', ${JSON.stringify(value)} is not a string.`, docs);
  return value;
}

async function readJson(c: Ctx, optional = false): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") {
    if (optional) return {};
    throw new GitHubError(400, "Problems parsing JSON");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GitHubError(400, "Problems parsing JSON");
  }
  if (!isRecord(parsed)) throw invalidRequest(`For 'links/0/schema', ${text.slice(0, 40)} is not an object.`);
  return parsed;
}

function wantsRaw(c: Ctx): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/.test(c.req.header("accept") ?? "");
}

/** GitHub's pagination: `per_page` (default 30, max 100), `page` from 1, and a `Link` header with next/last/first/prev. */
function paginate<T>(c: Ctx, items: readonly T[]): T[] {
  const parse = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const perPage = Math.min(100, Math.max(1, parse(c.req.query("per_page")) ?? 30));
  const page = Math.max(1, parse(c.req.query("page")) ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const url = new URL(c.req.url);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) links.push(link(1, "first"));
  if (links.length > 0) c.header("Link", links.join(", "));
  return items.slice((page - 1) * perPage, page * perPage);
}

function resolveCommitOr422(repo: FakeRepo, ref: string): string {
  const sha = repo.resolveCommit(ref);
  if (!sha) throw new GitHubError(422, `No commit found for SHA: ${ref}`, "https://docs.github.com/rest/commits/commits#get-a-commit");
  return sha;
}

function countComments(repo: FakeRepo, issue: IssueRecord): number {
  return [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).length;
}

/** Line counts as a multiset difference: close enough to `git diff --stat` for the files a test commits. */
function lineDiff(before: Uint8Array | undefined, after: Uint8Array | undefined): { additions: number; deletions: number } {
  const lines = (b: Uint8Array | undefined) => (b && b.length > 0 ? new TextDecoder().decode(b).replace(/\n$/, "").split("\n") : []);
  const old = lines(before);
  const remaining = new Map<string, number>();
  for (const line of old) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let additions = 0;
  for (const line of lines(after)) {
    const n = remaining.get(line) ?? 0;
    if (n > 0) remaining.set(line, n - 1);
    else additions++;
  }
  const deletions = [...remaining.values()].reduce((a, b) => a + b, 0);
  return { additions, deletions };
}

function randomAlnum(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

