// npm start's session with the Worker: push credentials/, open and merge a pull request, and wait for each run.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { StartedFakeGitHub } from "../standins/github/server.js";
import { mergePullRequest } from "../standins/github/merge.js";
import { buildPullRequestEvent, buildPushEvent, signWebhook, type PullRequestAction } from "../standins/github/webhooks.js";
import { snapshotWorkingTree, type SnapshotResult } from "../standins/github/working-tree.js";
import { loadSpecs } from "../src/desired/load.js";
import type { DevVars } from "./dev-vars.js";
import { discardBody } from "./drain.js";
import { messageOf } from "../src/cli/errors.js";
import { START_OWNER_ID } from "../src/cli/identity.js";
import { formatRun, isFinished, readStatus, RunWatch, type RunInfo, type WorkerStatus } from "./run-status.js";
import { readSpecSources } from "../src/cli/sources.js";
import { approvePull, REVIEWER_LOGIN } from "./start-review.js";

/** The repository the GitHub stand-in serves this checkout as. */
export const LOCAL_REPOSITORY = "local/ngrok-gitops";
/** How long a run may show no progress before npm start gives up on it (a run paced to ngrok's limit moves every minute). */
const RUN_STALL_MS = 120_000;
/** A long apply prints a progress line every this many changes, as the CLI does. */
const PROGRESS_EVERY = 25;
/** The branch `p` commits credentials/ to; one open pull request at a time, updated by each `p`. */
const PR_BRANCH = "npm-start/change";

const COMMANDS = `
Commands (type one and press Enter):
  (Enter)  push credentials/ to main: the Worker plans and applies it
  p        open (or update) a pull request from credentials/: the Worker plans it and comments
  m        merge that pull request: the Worker applies it
  a        approve that pull request (open, or merged and held) as a second local user
  h        this list; Ctrl-C stops everything`;

type Command = "reconcile" | "pull" | "merge" | "approve";

/** One command at a time: a command typed while another runs is queued (once; typing it again does not queue it twice). */
export class Loop {
  #busy = false;
  readonly #pending: Command[] = [];
  /** The pull request `p` opened and `m` merges. */
  #pull: { number: number; headSha: string } | null = null;
  /** The pull request `a` approves, and the commit a review of it runs for (its head while open, its merge commit after). */
  #reviewable: { number: number; sha: string } | null = null;

  constructor(
    private readonly github: StartedFakeGitHub,
    private readonly workerUrl: string,
    private readonly vars: DevVars,
    private readonly cwd: string,
    private readonly reviewer: string | null = null,
  ) {}

  /** A line typed on the terminal. */
  command(line: string): void {
    const commands: Record<string, Command> = { "": "reconcile", p: "pull", m: "merge", a: "approve" };
    const command = commands[line];
    if (command === undefined) {
      if (line === "h" || line === "?" || line === "help") console.log(COMMANDS);
      else console.log(`Unknown command ${JSON.stringify(line)}.${COMMANDS}`);
      return;
    }
    this.trigger(command);
  }

  trigger(command: Command): void {
    if (this.#busy) {
      if (!this.#pending.includes(command)) this.#pending.push(command);
      console.log(`(a run is in progress; ${command === "reconcile" ? "another one" : command === "pull" ? "the pull request" : command === "merge" ? "the merge" : "the approval"} follows it)`);
      return;
    }
    const runs: Record<Command, () => Promise<RunInfo>> = { reconcile: () => this.runOnce(), pull: () => this.openPullRequest(), merge: () => this.mergePullRequest(), approve: () => this.approve() };
    const run = runs[command];
    void run()
      .catch((error: unknown) => console.error(`error: ${messageOf(error)}`))
      .finally(() => {
        const next = this.#pending.shift();
        if (next !== undefined) this.trigger(next);
      });
  }

  /**
   * `p`: credentials/ as a commit on PR_BRANCH (from main), a pull request for it (opened, or updated when one is open),
   * the pull_request webhook, and the Worker's plan for it; then the address of the pull request's page.
   */
  async openPullRequest(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const repo = this.repo();
      const open = this.#pull !== null && repo.issues.get(this.#pull.number)?.state === "open" ? this.#pull : null;
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, branch: PR_BRANCH, message: "npm start: proposed credentials/" });
      if (open === null && repo.commits.get(snapshot.sha)?.tree === repo.commits.get(repo.branches.get("main") ?? "")?.tree) {
        throw new Error("credentials/ is the same as on main: there is nothing to propose. Edit credentials/, then press p and Enter again");
      }
      if (open !== null && snapshot.commit === null) {
        console.log(`
credentials/ unchanged since pull request #${open.number} was last updated: ${this.pullUrl(open.number)}`);
        return await this.latestRun();
      }
      await this.createDeliveryTargets();
      const base = repo.branches.get("main") ?? "";
      const action: PullRequestAction = open === null ? "opened" : "synchronize";
      const pull = this.github.fake.state.upsertPullRequest(repo, {
        ...(open === null ? {} : { number: open.number }),
        head_ref: PR_BRANCH,
        head_sha: snapshot.sha,
        title: "Change credentials/ (from npm start)",
        body: "Opened by `npm start` from the working tree's `credentials/`. Press **m** and Enter in `npm start` to merge it.",
        user: repo.owner.login,
      });
      const before = await this.status();
      console.log(`
${open === null ? "Opened" : "Updated"} pull request #${pull.number} (${PR_BRANCH} at ${snapshot.sha.slice(0, 7)}, ${describeCommit(snapshot)}); waiting for the Worker's plan…`);
      await this.sendWebhook(
        "pull_request",
        buildPullRequestEvent({
          action,
          number: pull.number,
          repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
          head: { sha: snapshot.sha, ref: PR_BRANCH },
          base: { sha: base, ref: "main" },
          ...(open === null ? {} : { before: open.headSha }),
          title: pull.title,
          body: pull.body,
          apiUrl: this.github.url,
          htmlUrl: this.github.url,
        }),
      );
      this.#pull = { number: pull.number, headSha: snapshot.sha };
      this.#reviewable = { number: pull.number, sha: snapshot.sha };
      const run = await this.waitForRun(snapshot.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${pull.number}: ${this.pullUrl(pull.number)}\nPress m and Enter to merge it (the Worker then applies the plan).`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  /** `m`: merges the open pull request into main and sends the push: the Worker applies it. */
  async mergePullRequest(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const repo = this.repo();
      const pull = this.#pull === null ? undefined : repo.issues.get(this.#pull.number);
      if (this.#pull === null || pull?.state !== "open") throw new Error("no open pull request to merge; press p and Enter to open one from credentials/");
      const before = await this.status();
      const { commit } = await mergePullRequest(this.github.fake, LOCAL_REPOSITORY, this.#pull.number);
      console.log(`
Merged pull request #${this.#pull.number} into main (${commit.sha.slice(0, 7)}, ${describeCommit({ sha: commit.sha, changed: true, commit })}); waiting for the Worker…`);
      await this.sendWebhook(
        "pull_request",
        buildPullRequestEvent({
          action: "closed",
          merged: true,
          number: this.#pull.number,
          repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
          head: { sha: this.#pull.headSha, ref: PR_BRANCH },
          base: { sha: commit.before, ref: "main" },
          apiUrl: this.github.url,
          htmlUrl: this.github.url,
        }),
      );
      this.#reviewable = { number: this.#pull.number, sha: commit.sha };
      await this.sendPush({ sha: commit.sha, changed: true, commit }, `Merge pull request #${this.#pull.number}`);
      // The branch is gone after a merge, as with GitHub's "delete branch"; the next p starts from main again.
      repo.branches.delete(PR_BRANCH);
      const run = await this.waitForRun(commit.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${this.#pull.number} (merged): ${this.pullUrl(this.#pull.number)}`);
      this.#pull = null;
      return run;
    } finally {
      this.#busy = false;
    }
  }

  /** `a`: approves the last pull request as REVIEWER_LOGIN; the stand-in's pull_request_review reaches the Worker, which plans (open) or applies (merged) again. */
  async approve(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const target = this.#reviewable;
      if (target === null || this.reviewer === null) throw new Error("no pull request to approve; press p and Enter to open one from credentials/");
      const before = await this.status();
      await approvePull(this.github.url, LOCAL_REPOSITORY, target.number, this.reviewer);
      console.log(`\nApproved pull request #${target.number} as @${REVIEWER_LOGIN}; waiting for the Worker…`);
      const run = await this.waitForRun(target.sha, before.last?.id ?? null);
      console.log(`\n${formatRun(run)}`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  repo() {
    const [owner = "", name = ""] = LOCAL_REPOSITORY.split("/");
    const repo = this.github.fake.state.repo(owner, name);
    if (!repo) throw new Error(`internal: the stand-in has no ${LOCAL_REPOSITORY}`);
    return repo;
  }

  pullUrl(number: number): string {
    return `${this.github.url}/${LOCAL_REPOSITORY}/pull/${number}`;
  }

  async latestRun(): Promise<RunInfo> {
    const { last } = await this.status();
    if (last === null) throw new Error("the Worker has no run yet");
    return last;
  }

  /** The stand-in serves every repository a spec delivers to, so deliveries land (and decrypt) locally. */
  async createDeliveryTargets(): Promise<void> {
    const specs = loadSpecs(await readSpecSources(join(this.cwd, "credentials")), { ownerId: START_OWNER_ID });
    if (!specs.ok) return;
    const state = this.github.fake.state;
    for (const spec of specs.specs) {
      for (const { github_actions_secret: target, github_actions_org_secret: orgTarget } of spec.deliver) {
        if (orgTarget) await state.createOrg(orgTarget.org);
        if (!target) continue;
        const [owner, name] = target.repo.split("/");
        let repo = state.repo(owner ?? "", name ?? "");
        if (!repo) {
          repo = await state.createRepo({ fullName: target.repo });
          console.log(`GitHub stand-in: created ${target.repo} to receive delivered tokens (see ${this.github.url}/__fake/repos/${target.repo})`);
        }
        if (target.environment) state.createEnvironment(repo, target.environment);
      }
    }
  }

  /**
   * Snapshot credentials/ and push the new commit; when nothing changed, ask for a run anyway
   * (POST /api/reconcile), since the Worker skips a push of a tree it already applied. Then wait for
   * that run to finish and print it.
   */
  async runOnce(): Promise<RunInfo> {
    this.#busy = true;
    try {
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, message: "npm start: snapshot of credentials/" });
      await this.createDeliveryTargets();
      const before = await this.status();
      if (snapshot.commit !== null) {
        console.log(`\nPushed ${snapshot.sha.slice(0, 7)} (${describeCommit(snapshot)}); waiting for the Worker…`);
        await this.sendPush(snapshot);
      } else {
        console.log(`\ncredentials/ unchanged since ${snapshot.sha.slice(0, 7)}; asking the Worker to reconcile anyway…`);
        await this.reconcileNow();
      }
      const run = await this.waitForRun(snapshot.sha, before.last?.id ?? null);
      console.log(`\n${formatRun(run)}`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  async reconcileNow(): Promise<void> {
    const res = await fetch(`${this.workerUrl}/api/reconcile`, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: "{}",
    });
    await discardBody(res);
    if (!res.ok) throw new Error(`POST /api/reconcile answered HTTP ${res.status}`);
  }

  async sendPush(snapshot: SnapshotResult, message = "npm start: snapshot of credentials/"): Promise<void> {
    const commit = snapshot.commit;
    if (commit === null) throw new Error("internal: push without a commit");
    const payload = buildPushEvent({
      repository: { fullName: LOCAL_REPOSITORY, defaultBranch: "main", private: true },
      ref: "main",
      before: commit.before,
      after: commit.sha,
      commits: [{ id: commit.sha, treeId: commit.tree, message, added: commit.added, modified: commit.modified, removed: commit.removed }],
      apiUrl: this.github.url,
      htmlUrl: this.github.url,
    });
    await this.sendWebhook("push", payload);
  }

  async sendWebhook(event: "push" | "pull_request", payload: object): Promise<void> {
    const body = JSON.stringify(payload);
    const res = await fetch(`${this.workerUrl}/webhooks/github`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/npm-start",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": randomUUID(),
        "X-Hub-Signature-256": await signWebhook(this.vars.GITHUB_WEBHOOK_SECRET, body),
      },
      body,
    });
    await discardBody(res);
    if (res.status !== 202 && res.status !== 200) throw new Error(`the Worker answered the ${event} webhook with HTTP ${res.status}`);
  }

  async status(): Promise<WorkerStatus> {
    const res = await fetch(`${this.workerUrl}/api/status`, { headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}` } });
    if (!res.ok) {
      await discardBody(res);
      throw new Error(`GET /api/status answered HTTP ${res.status}`);
    }
    return readStatus(await res.json());
  }

  /** The first finished run for `sha` that is not the one that was last before the push. */
  async waitForRun(sha: string, previousId: string | null): Promise<RunInfo> {
    const watch = new RunWatch(RUN_STALL_MS, PROGRESS_EVERY, Date.now());
    while (!watch.stalled(Date.now())) {
      const { last, progress } = await this.status();
      if (last !== null && last.sha === sha && last.id !== previousId && isFinished(last)) return last;
      const line = watch.observe(progress, Date.now());
      if (line !== null) console.log(line);
      await sleep(300);
    }
    throw new Error(`no finished run for ${sha.slice(0, 7)}, and no progress for ${RUN_STALL_MS / 1000} s; see the wrangler output above`);
  }
}

function describeCommit(snapshot: SnapshotResult): string {
  const c = snapshot.commit;
  if (c === null) return "no change";
  const parts = [];
  if (c.added.length) parts.push(`${c.added.length} added`);
  if (c.modified.length) parts.push(`${c.modified.length} modified`);
  if (c.removed.length) parts.push(`${c.removed.length} removed`);
  return parts.length ? parts.join(", ") : "no file changes";
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
