// The fake GitHub's in-memory world: repositories with real git objects, pull requests, feedback, secrets, faults and a request log.
import { GitHubError, notFound, validationFailed } from "./errors.js";
import {
  blobSha,
  commitSha,
  sortTreeEntries,
  treeSha,
  utf8,
  type Bytes,
  type EntryMode,
  type GitSignature,
  type TreeEntry,
} from "./git-objects.js";
import { loadSodium, newSecretKeyPair, type SecretKeyPair, type SodiumApi } from "./secret-keys.js";

export interface UserRecord {
  readonly login: string;
  readonly id: number;
  readonly type: "User" | "Bot" | "Organization";
}

export interface CommitRecord {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: GitSignature;
  readonly committer: GitSignature;
}

export interface FileEntry {
  readonly sha: string;
  readonly mode: EntryMode;
}

export interface LabelRecord {
  readonly id: number;
  readonly name: string;
  readonly color: string;
}

export interface PullRequestFields {
  headRef: string;
  headSha: string;
  baseRef: string;
  /** `owner/name` of the head repository; a fork when it differs from the base repository. */
  headRepo: string;
  merged: boolean;
  /** Once merged: the commit the merge made on the base branch (GitHub's `merge_commit_sha`). */
  mergeCommitSha?: string | null;
}

/** A pull request review (GET …/pulls/{n}/reviews): who, on which commit, with what verdict. */
export interface ReviewRecord {
  readonly id: number;
  readonly user: UserRecord;
  readonly body: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING" | "DISMISSED";
  readonly commitId: string;
  submittedAt: string | null;
}

/** An organisation's team (GET /orgs/{org}/teams/{slug}/memberships/{username}). */
export interface TeamRecord {
  readonly id: number;
  readonly org: string;
  readonly slug: string;
  readonly members: Map<string, { login: string; role: "member" | "maintainer"; state: "active" | "pending" }>;
}

export interface IssueRecord {
  readonly id: number;
  readonly number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | null;
  labels: string[];
  readonly user: UserRecord;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Present when this issue is a pull request (they share GitHub's number space). */
  pull?: PullRequestFields;
}

export interface CommentRecord {
  readonly id: number;
  readonly issueNumber: number;
  body: string;
  readonly user: UserRecord;
  readonly appId: number | null;
  readonly createdAt: string;
  updatedAt: string;
}

export interface Annotation {
  readonly path: string;
  readonly start_line: number;
  readonly end_line: number;
  readonly start_column?: number;
  readonly end_column?: number;
  readonly annotation_level: "notice" | "warning" | "failure";
  readonly message: string;
  readonly title?: string;
  readonly raw_details?: string;
}

export type CheckStatus = "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
export type CheckConclusion =
  | "success"
  | "failure"
  | "neutral"
  | "cancelled"
  | "skipped"
  | "timed_out"
  | "action_required";

export interface CheckRunRecord {
  readonly id: number;
  readonly headSha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: string;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  readonly annotations: Annotation[];
  readonly appId: number | null;
}

export interface StatusRecord {
  readonly id: number;
  readonly sha: string;
  readonly state: "error" | "failure" | "pending" | "success";
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly context: string;
  readonly creator: UserRecord;
  readonly createdAt: string;
}

export interface SecretRecord {
  readonly name: string;
  /**
   * What the sealed box held, opened with the store's secret key. In process only (FakeGitHub.openedSecret): no page
   * or JSON answer of the fake shows it, as GitHub never does.
   */
  readonly value: string;
  readonly encryptedValue: string;
  readonly keyId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Organisation secrets only: which repositories may use it ("all" or "private"). */
  readonly visibility?: string;
}

export interface SecretStore {
  /** A real X25519 key pair; replaced by `rotateSecretKey`, as GitHub rotates it now and then. */
  publicKey: SecretKeyPair;
  readonly secrets: Map<string, SecretRecord>;
}

export interface RepoInit {
  /** `owner/name`. */
  readonly fullName: string;
  readonly defaultBranch?: string;
  readonly private?: boolean;
  readonly description?: string;
  /** Files of an initial commit on the default branch. */
  readonly files?: Record<string, string>;
  readonly environments?: readonly string[];
}

export interface CommitInput {
  readonly branch: string;
  /** Path → content; `null` deletes the path. Paths not mentioned carry over from the parent unless `replace`. */
  readonly files: Record<string, string | Uint8Array | null>;
  readonly message?: string;
  /** Parent commit SHA; defaults to the branch head, or for a new branch the default branch's head (a root commit if none). */
  readonly parent?: string;
  /** The new tree is exactly `files` (no carry-over): a snapshot of a working tree. */
  readonly replace?: boolean;
  readonly author?: { readonly name: string; readonly email: string };
}

export interface CommitResult {
  readonly sha: string;
  readonly tree: string;
  readonly parent: string | null;
  readonly branch: string;
  /** The branch head before this commit (all zeros when the branch is new), as a push event's `before`. */
  readonly before: string;
  readonly added: string[];
  readonly modified: string[];
  readonly removed: string[];
}

export interface PullRequestInput {
  readonly number?: number;
  readonly head_ref: string;
  /** Defaults to the head of `head_ref`. */
  readonly head_sha?: string;
  readonly base_ref?: string;
  readonly title?: string;
  readonly body?: string;
  readonly state?: "open" | "closed";
  readonly merged?: boolean;
  readonly merge_commit_sha?: string;
  /** `owner/name` of a fork the PR comes from; its head commit must exist in this (base) repository. */
  readonly head_repo?: string;
  readonly user?: string;
}

export const ZERO_SHA = "0".repeat(40);

export class FakeRepo {
  readonly branches = new Map<string, string>();
  readonly commits = new Map<string, CommitRecord>();
  readonly trees = new Map<string, TreeEntry[]>();
  readonly blobs = new Map<string, Bytes>();
  readonly issues = new Map<number, IssueRecord>();
  readonly comments = new Map<number, CommentRecord>();
  readonly checkRuns = new Map<number, CheckRunRecord>();
  readonly statuses: StatusRecord[] = [];
  readonly labels = new Map<string, LabelRecord>();
  readonly environments = new Map<string, SecretStore>();
  /** Reviews by pull request number, oldest first. */
  readonly reviews = new Map<number, ReviewRecord[]>();
  /** Collaborators by lower-cased login: their role (the owner is admin without an entry). */
  readonly collaborators = new Map<string, { login: string; role: "admin" | "maintain" | "write" | "triage" | "read" }>();
  nextNumber = 1;

  constructor(
    readonly id: number,
    readonly owner: UserRecord,
    readonly name: string,
    public defaultBranch: string,
    public isPrivate: boolean,
    public description: string | null,
    readonly createdAt: string,
    readonly actions: SecretStore,
  ) {}

  get fullName(): string {
    return `${this.owner.login}/${this.name}`;
  }

  /** A commit SHA for `ref`: a full or abbreviated SHA, a branch (`x`, `heads/x`, `refs/heads/x`) or `pull/N/head`. */
  resolveCommit(ref: string): string | undefined {
    if (this.commits.has(ref)) return ref;
    const branch = ref.replace(/^refs\//, "").replace(/^heads\//, "");
    const head = this.branches.get(branch);
    if (head) return head;
    const pull = /^(?:refs\/)?pull\/(\d+)\/head$/.exec(ref);
    if (pull?.[1]) return this.issues.get(Number(pull[1]))?.pull?.headSha;
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      const matches = [...this.commits.keys()].filter((sha) => sha.startsWith(ref));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  /** A tree SHA for a tree SHA, a commit-ish, or `<commit-ish>:<path>` (a folder inside it). */
  resolveTree(ref: string): string | undefined {
    if (this.trees.has(ref)) return ref;
    const colon = ref.indexOf(":");
    const commitish = colon < 0 ? ref : ref.slice(0, colon);
    const path = colon < 0 ? "" : ref.slice(colon + 1).replace(/^\/+|\/+$/g, "");
    const commit = this.commits.get(this.resolveCommit(commitish) ?? "");
    if (!commit) return undefined;
    if (path === "") return commit.tree;
    const entry = this.lookupPath(commit.tree, path);
    return entry?.type === "tree" ? entry.sha : undefined;
  }

  lookupPath(rootTree: string, path: string): TreeEntry | undefined {
    let entries = this.trees.get(rootTree);
    let found: TreeEntry | undefined;
    for (const segment of path.split("/")) {
      found = entries?.find((e) => e.name === segment);
      if (!found) return undefined;
      entries = found.type === "tree" ? this.trees.get(found.sha) : undefined;
    }
    return found;
  }

  /** Every blob under a tree, path → entry, as `git ls-tree -r` lists them. */
  flatten(tree: string, prefix = ""): Map<string, FileEntry> {
    const out = new Map<string, FileEntry>();
    for (const entry of this.trees.get(tree) ?? []) {
      const path = prefix + entry.name;
      if (entry.type === "tree") {
        for (const [p, f] of this.flatten(entry.sha, `${path}/`)) out.set(p, f);
      } else {
        out.set(path, { sha: entry.sha, mode: entry.mode });
      }
    }
    return out;
  }

  /** Entries with full paths in git's pre-order, as `GET /git/trees/{sha}?recursive=1` returns them. */
  walk(tree: string, prefix = ""): Array<TreeEntry & { path: string }> {
    const out: Array<TreeEntry & { path: string }> = [];
    for (const entry of this.trees.get(tree) ?? []) {
      out.push({ ...entry, path: prefix + entry.name });
      if (entry.type === "tree") out.push(...this.walk(entry.sha, `${prefix}${entry.name}/`));
    }
    return out;
  }

  async writeBlob(content: Uint8Array): Promise<string> {
    const bytes: Bytes = new Uint8Array(content);
    const sha = await blobSha(bytes);
    this.blobs.set(sha, bytes);
    return sha;
  }

  async writeTree(files: ReadonlyMap<string, FileEntry>): Promise<string> {
    const entries: TreeEntry[] = [];
    const folders = new Map<string, Map<string, FileEntry>>();
    for (const [path, file] of files) {
      const slash = path.indexOf("/");
      if (slash < 0) {
        entries.push({ name: path, mode: file.mode, type: "blob", sha: file.sha });
        continue;
      }
      const folder = path.slice(0, slash);
      const inner = folders.get(folder) ?? new Map<string, FileEntry>();
      inner.set(path.slice(slash + 1), file);
      folders.set(folder, inner);
    }
    for (const [name, inner] of folders) {
      if (entries.some((e) => e.name === name)) {
        throw validationFailed([{ resource: "Tree", code: "custom", field: "path", message: `${name} is both a file and a folder` }]);
      }
      entries.push({ name, mode: "040000", type: "tree", sha: await this.writeTree(inner) });
    }
    const sha = await treeSha(entries);
    this.trees.set(sha, sortTreeEntries(entries));
    return sha;
  }

  pullRequests(): IssueRecord[] {
    return [...this.issues.values()].filter((i) => i.pull !== undefined);
  }
}


export function validatePath(path: string): void {
  const bad =
    path === "" ||
    path.startsWith("/") ||
    path.endsWith("/") ||
    path.split("/").some((s) => s === "" || s === "." || s === ".." || s === ".git");
  if (bad) {
    throw validationFailed([{ resource: "Tree", code: "invalid", field: "path", message: `invalid path ${JSON.stringify(path)}` }]);
  }
}

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly userAgent: boolean;
  /** How the request authenticated; never the credential itself. */
  readonly auth: "none" | "token" | "bearer" | "basic" | "other";
  /** Who it authenticated as: a login, `app:<id>` for an App JWT, or null. */
  readonly identity: string | null;
  /** True when a configured fault produced the response. */
  readonly faulted: boolean;
  readonly at: string;
}

export interface FaultInput {
  readonly method?: string;
  /** Prefix of the request path (no query), e.g. `/repos/acme/infra/git/trees`. */
  readonly path?: string;
  readonly status: number;
  /** How many matching requests fail; unlimited when omitted. */
  readonly times?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Serve the request, then answer with the fault instead (the write happened; its answer was lost). */
  readonly after?: boolean;
}

export interface FaultRecord {
  readonly id: number;
  readonly method: string | null;
  readonly path: string;
  readonly status: number;
  remaining: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  /** The request is served first and only its answer is replaced: a write that landed with its response lost. */
  readonly after: boolean;
}

export class FakeGitHubState {
  readonly repos = new Map<string, FakeRepo>();
  /** Organisations and their Actions secrets, keyed by lower-cased login (created with createOrg). */
  readonly orgs = new Map<string, { login: string; secrets: SecretStore }>();
  readonly users = new Map<string, UserRecord>();
  /** Teams keyed by lower-cased `org/slug`. */
  readonly teams = new Map<string, TeamRecord>();
  /** Webhook deliveries the fake sent (e.g. pull_request_review when a review is submitted), oldest first. */
  readonly webhooks: { event: string; delivery: string; payload: unknown }[] = [];
  readonly requests: RequestLogEntry[] = [];
  readonly faults: FaultRecord[] = [];
  /** Added to the clock, so tests can expire installation tokens without waiting. */
  clockOffsetMs = 0;
  /** Large, so an id is never mistaken for an issue number in a test. */
  private nextId = 5_000_001;
  /** libsodium, loaded by the first `createRepo` (every secret store belongs to a repository made there). */
  private sodiumApi: SodiumApi | null = null;

  constructor(private readonly clock: () => number = () => Date.now()) {}

  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  /**
   * Forgets every repository, organisation, request and fault, and the clock offset: a test file starts from
   * nothing, whatever ran before it. Users (and the tokens that name them) stay; ids keep counting, so nothing
   * from before is mistaken for something new.
   */
  reset(): void {
    this.repos.clear();
    this.orgs.clear();
    this.teams.clear();
    this.webhooks.length = 0;
    this.requests.length = 0;
    this.faults.length = 0;
    this.clockOffsetMs = 0;
  }

  isoNow(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  newId(): number {
    return this.nextId++;
  }

  user(login: string, type: UserRecord["type"] = "User"): UserRecord {
    const existing = this.users.get(login.toLowerCase());
    if (existing) return existing;
    const created: UserRecord = { login, id: this.newId(), type };
    this.users.set(login.toLowerCase(), created);
    return created;
  }

  /** Owner and name are case-insensitive on GitHub. */
  repo(owner: string, name: string): FakeRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** libsodium for key pairs and sealed boxes; loaded once a repository exists. */
  get sodium(): SodiumApi {
    if (!this.sodiumApi) throw new Error("fake GitHub: libsodium is loaded by createRepo; no repository has been created yet");
    return this.sodiumApi;
  }

  private newSecretStore(): SecretStore {
    return { publicKey: newSecretKeyPair(this.sodium), secrets: new Map() };
  }

  /** An organisation with its own secrets key pair; libsodium must be loaded (a repository exists). */
  async createOrg(login: string): Promise<{ login: string; secrets: SecretStore }> {
    const existing = this.orgs.get(login.toLowerCase());
    if (existing) return existing;
    if (!this.sodiumApi) await this.createRepo({ fullName: `${login}/.github` });
    const org = { login, secrets: this.newSecretStore() };
    this.orgs.set(login.toLowerCase(), org);
    return org;
  }

  requireRepo(owner: string, name: string): FakeRepo {
    const repo = this.repo(owner, name);
    if (!repo) throw notFound();
    return repo;
  }

  async createRepo(init: RepoInit): Promise<FakeRepo> {
    // Before any check, so no other createRepo can slip in between the name check and the insert.
    this.sodiumApi ??= await loadSodium();
    const [owner, name, extra] = init.fullName.split("/");
    if (!owner || !name || extra !== undefined) {
      throw validationFailed([{ resource: "Repository", code: "invalid", field: "name", message: "expected owner/name" }]);
    }
    if (this.repo(owner, name)) {
      throw validationFailed([{ resource: "Repository", code: "custom", field: "name", message: "name already exists on this account" }]);
    }
    const repo = new FakeRepo(
      this.newId(),
      this.user(owner),
      name,
      init.defaultBranch ?? "main",
      init.private ?? true,
      init.description ?? null,
      this.isoNow(),
      this.newSecretStore(),
    );
    this.repos.set(repo.fullName.toLowerCase(), repo);
    for (const env of init.environments ?? []) this.createEnvironment(repo, env);
    if (init.files) await this.commit(repo, { branch: repo.defaultBranch, files: init.files, message: "Initial commit" });
    return repo;
  }

  createEnvironment(repo: FakeRepo, name: string): SecretStore {
    const existing = repo.environments.get(name);
    if (existing) return existing;
    const store = this.newSecretStore();
    repo.environments.set(name, store);
    return store;
  }

  /** A new key pair for the repository's (or an environment's) secrets; what was sealed to the old key stays stored. */
  rotateSecretKey(repo: FakeRepo, environment?: string, secretKey?: Uint8Array): SecretStore {
    const store = environment === undefined ? repo.actions : repo.environments.get(environment);
    if (!store) throw notFound();
    store.publicKey = newSecretKeyPair(this.sodium, secretKey);
    return store;
  }

  async commit(repo: FakeRepo, input: CommitInput): Promise<CommitResult> {
    const before = repo.branches.get(input.branch);
    // A new branch starts from the default branch, as `git switch -c` from it would.
    const parent = input.parent ?? before ?? repo.branches.get(repo.defaultBranch) ?? null;
    if (parent !== null && !repo.commits.has(parent)) {
      throw validationFailed([{ resource: "Commit", code: "invalid", field: "parent", message: `No commit found for SHA: ${parent}` }]);
    }
    const parentFiles = parent === null ? new Map<string, FileEntry>() : repo.flatten(repo.commits.get(parent)?.tree ?? "");
    const files = input.replace ? new Map<string, FileEntry>() : new Map(parentFiles);
    for (const [path, content] of Object.entries(input.files)) {
      validatePath(path);
      if (content === null) {
        if (!files.delete(path) && !input.replace) {
          throw validationFailed([{ resource: "Tree", code: "missing", field: "path", message: `${path} does not exist` }]);
        }
        continue;
      }
      const bytes = typeof content === "string" ? utf8(content) : content;
      files.set(path, { sha: await repo.writeBlob(bytes), mode: "100644" });
    }
    const tree = await repo.writeTree(files);
    const seconds = Math.floor(this.now() / 1000);
    const who = input.author ?? { name: "Fake GitHub", email: "fake-github@users.noreply.example" };
    const fields = {
      tree,
      parents: parent === null ? [] : [parent],
      author: { ...who, timestamp: seconds },
      committer: { ...who, timestamp: seconds },
      message: input.message ?? "Update files",
    };
    const sha = await commitSha(fields);
    repo.commits.set(sha, { sha, ...fields });
    repo.branches.set(input.branch, sha);
    // As on GitHub, a push to a pull request's branch moves the pull request's head.
    for (const issue of repo.issues.values()) if (issue.pull && issue.state === "open" && issue.pull.headRef === input.branch && !issue.pull.merged) issue.pull.headSha = sha;
    const added: string[] = [];
    const modified: string[] = [];
    for (const [path, file] of files) {
      const old = parentFiles.get(path);
      if (!old) added.push(path);
      else if (old.sha !== file.sha || old.mode !== file.mode) modified.push(path);
    }
    const removed = [...parentFiles.keys()].filter((p) => !files.has(p));
    return { sha, tree, parent, branch: input.branch, before: before ?? ZERO_SHA, added, modified, removed };
  }

  /** Opens, or updates when `number` names an existing one, a pull request (an issue with `pull` fields). */
  upsertPullRequest(repo: FakeRepo, input: PullRequestInput): IssueRecord {
    const headSha = input.head_sha ?? repo.branches.get(input.head_ref);
    if (!headSha || !repo.commits.has(headSha)) {
      throw validationFailed([{ resource: "PullRequest", code: "invalid", field: "head", message: `no commit for ${input.head_sha ?? input.head_ref}` }]);
    }
    const baseRef = input.base_ref ?? repo.defaultBranch;
    if (!repo.branches.has(baseRef)) {
      throw validationFailed([{ resource: "PullRequest", code: "invalid", field: "base" }]);
    }
    const existing = input.number === undefined ? undefined : repo.issues.get(input.number);
    if (existing && !existing.pull) {
      throw validationFailed([{ resource: "PullRequest", code: "custom", field: "number", message: "is an issue" }]);
    }
    const now = this.isoNow();
    if (existing?.pull) {
      existing.pull.headRef = input.head_ref;
      existing.pull.headSha = headSha;
      existing.pull.baseRef = baseRef;
      if (input.head_repo) existing.pull.headRepo = input.head_repo;
      if (input.merged !== undefined) existing.pull.merged = input.merged;
      if (input.merge_commit_sha !== undefined) existing.pull.mergeCommitSha = input.merge_commit_sha;
      if (input.title !== undefined) existing.title = input.title;
      if (input.body !== undefined) existing.body = input.body;
      if (input.state && input.state !== existing.state) {
        existing.state = input.state;
        existing.closedAt = input.state === "closed" ? now : null;
      }
      existing.updatedAt = now;
      return existing;
    }
    const number = input.number ?? repo.nextNumber;
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    const record: IssueRecord = {
      id: this.newId(),
      number,
      title: input.title ?? `Change ${input.head_ref}`,
      body: input.body ?? null,
      state: input.state ?? "open",
      stateReason: null,
      labels: [],
      user: this.user(input.user ?? repo.owner.login),
      createdAt: now,
      updatedAt: now,
      closedAt: input.state === "closed" ? now : null,
      pull: { headRef: input.head_ref, headSha, baseRef, headRepo: input.head_repo ?? repo.fullName, merged: input.merged ?? false, mergeCommitSha: input.merge_commit_sha ?? null },
    };
    repo.issues.set(number, record);
    return record;
  }

  ensureLabel(repo: FakeRepo, name: string): LabelRecord {
    const existing = repo.labels.get(name.toLowerCase());
    if (existing) return existing;
    const label: LabelRecord = { id: this.newId(), name, color: "ededed" };
    repo.labels.set(name.toLowerCase(), label);
    return label;
  }

  addFault(input: FaultInput): FaultRecord {
    if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) {
      throw new GitHubError(400, "fault.status must be an HTTP status code");
    }
    const fault: FaultRecord = {
      id: this.newId(),
      method: input.method?.toUpperCase() ?? null,
      path: input.path ?? "/",
      status: input.status,
      remaining: input.times ?? Number.POSITIVE_INFINITY,
      body: input.body ?? { message: "Server Error" },
      headers: input.headers ?? {},
      after: input.after === true,
    };
    this.faults.push(fault);
    return fault;
  }

  /** Consumes one use of the first fault matching the request, if any. */
  takeFault(method: string, path: string): FaultRecord | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (f.method === null || f.method === method) && path.startsWith(f.path),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  }
}
