// npm start's session with the Worker: push credentials/, open, approve and merge a pull request, release a held commit, and wait for each run.
import type { StartedFakeGitHub } from "../standins/github/server.js";
import { mergePullRequest } from "../standins/github/merge.js";
import { buildPullRequestEvent, type PullRequestAction } from "../standins/github/webhooks.js";
import { snapshotWorkingTree, type SnapshotResult } from "../standins/github/working-tree.js";
import type { DevVars } from "./dev-vars.js";
import { messageOf } from "../src/cli/errors.js";
import { formatRun, type RunInfo } from "./run-status.js";
import { createDeliveryTargets } from "./start-targets.js";
import { LocalWorker } from "./start-worker.js";
import { approvePull, EXAMPLE_FILES, heldHint, releaseHeld, REVIEWER_LOGIN } from "./start-review.js";

/** The repository the GitHub stand-in serves this checkout as. */
export const LOCAL_REPOSITORY = "local/ngrok-gitops";
/** The branch `p` commits credentials/ to; one open pull request at a time, updated by each `p`. */
const PR_BRANCH = "npm-start/change";

const COMMANDS = `
Commands (type one and press Enter):
  (Enter)  push credentials/ straight to main: under review: the Worker holds it (r releases it)
  p        open (or update) a pull request from credentials/: the Worker plans it and comments
  m        merge that pull request: the Worker applies it (holds it, if not approved)
  a        approve that pull request (open, or merged and held) as a second local user
  r        release the held commit as the operator (applied without the review check, audited)
  h        this list; Ctrl-C stops everything`;

type Command = "reconcile" | "pull" | "merge" | "approve" | "release";

/** One command at a time: a command typed while another runs is queued (once; typing it again does not queue it twice). */
export class Loop {
  #busy = false;
  readonly #pending: Command[] = [];
  /** The pull request `p` opened and `m` merges. */
  #pull: { number: number; headSha: string } | null = null;
  /** The pull request `a` approves, and the commit a review of it runs for (its head while open, its merge commit after). */
  #reviewable: { number: number; sha: string } | null = null;

  readonly worker: LocalWorker;

  constructor(
    private readonly github: StartedFakeGitHub,
    workerUrl: string,
    private readonly vars: DevVars,
    private readonly cwd: string,
    private readonly reviewer: string | null = null,
  ) {
    this.worker = new LocalWorker(workerUrl, vars, github.url, LOCAL_REPOSITORY);
  }

  /** A line typed on the terminal. */
  command(line: string): void {
    const commands: Record<string, Command> = { "": "reconcile", p: "pull", m: "merge", a: "approve", r: "release" };
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
      const what: Record<Command, string> = { reconcile: "another one", pull: "the pull request", merge: "the merge", approve: "the approval", release: "the release" };
      console.log(`(a run is in progress; ${what[command]} follows it)`);
      return;
    }
    const runs: Record<Command, () => Promise<RunInfo>> = { reconcile: () => this.runOnce(), pull: () => this.openPullRequest(), merge: () => this.mergePullRequest(), approve: () => this.approve(), release: () => this.release() };
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
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, branch: PR_BRANCH, message: "npm start: proposed credentials/", extra: EXAMPLE_FILES });
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
        body: "Opened by `npm start` from the working tree's `credentials/`. Press **a** and Enter in `npm start` to approve it as a second local user, then **m** to merge it.",
        user: repo.owner.login,
      });
      const before = await this.worker.status();
      console.log(`
${open === null ? "Opened" : "Updated"} pull request #${pull.number} (${PR_BRANCH} at ${snapshot.sha.slice(0, 7)}, ${describeCommit(snapshot)}); waiting for the Worker's plan…`);
      await this.worker.sendWebhook(
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
      const run = await this.worker.waitForRun(snapshot.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${pull.number}: ${this.pullUrl(pull.number)}\nPress a and Enter to approve it as @${REVIEWER_LOGIN}, then m to merge it: the Worker applies the plan (merged without the approval, it holds it).`);
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
      const before = await this.worker.status();
      const { commit } = await mergePullRequest(this.github.fake, LOCAL_REPOSITORY, this.#pull.number);
      console.log(`
Merged pull request #${this.#pull.number} into main (${commit.sha.slice(0, 7)}, ${describeCommit({ sha: commit.sha, changed: true, commit })}); waiting for the Worker…`);
      await this.worker.sendWebhook(
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
      await this.worker.sendPush({ sha: commit.sha, changed: true, commit }, `Merge pull request #${this.#pull.number}`);
      // The branch is gone after a merge, as with GitHub's "delete branch"; the next p starts from main again.
      repo.branches.delete(PR_BRANCH);
      const run = await this.worker.waitForRun(commit.sha, before.last?.id ?? null);
      console.log(`
${formatRun(run)}`);
      console.log(`Pull request #${this.#pull.number} (merged): ${this.pullUrl(this.#pull.number)}`);
      if (run.status === "held") console.log(heldHint(run, this.#pull.number));
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
      const before = await this.worker.status();
      await approvePull(this.github.url, LOCAL_REPOSITORY, target.number, this.reviewer);
      console.log(`\nApproved pull request #${target.number} as @${REVIEWER_LOGIN}; waiting for the Worker…`);
      const run = await this.worker.waitForRun(target.sha, before.last?.id ?? null);
      console.log(`\n${formatRun(run)}`);
      return run;
    } finally {
      this.#busy = false;
    }
  }

  /** `r`: releases the held commit as the operator (POST /api/reconcile {"release"}); the Worker applies it, audited. */
  async release(): Promise<RunInfo> {
    this.#busy = true;
    try {
      return await this.releaseHeld();
    } finally {
      this.#busy = false;
    }
  }

  async releaseHeld(): Promise<RunInfo> {
    const before = await this.worker.status();
    if (before.held === null) throw new Error("no commit is held: nothing to release");
    await releaseHeld(this.worker.url, this.vars.ADMIN_TOKEN, before.held.sha);
    console.log(`\nReleased ${before.held.sha.slice(0, 7)} as the operator (audited); waiting for the Worker…`);
    const run = await this.worker.waitForRun(before.held.sha, before.last?.id ?? null);
    console.log(`\n${formatRun(run)}`);
    return run;
  }

  /**
   * The first push, at start: straight to main, with no pull request, so the Worker holds it like any unreviewed commit.
   * npm start releases it as the operator would, so the session starts from an applied state.
   */
  async seed(): Promise<RunInfo> {
    const run = await this.runOnce(false);
    if (run.status !== "held") return run;
    console.log("npm start's first commit has no pull request behind it, so it is held; npm start releases it as the operator (POST /api/reconcile {\"release\"}).");
    this.#busy = true;
    try {
      return await this.releaseHeld();
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
    const { last } = await this.worker.status();
    if (last === null) throw new Error("the Worker has no run yet");
    return last;
  }

  /** The stand-in serves every repository a spec delivers to, so deliveries land (and decrypt) locally. */
  createDeliveryTargets(): Promise<void> {
    return createDeliveryTargets(this.github, this.cwd);
  }

  /**
   * Snapshot credentials/ and push the new commit; when nothing changed, ask for a run anyway
   * (POST /api/reconcile), since the Worker skips a push of a tree it already applied. Then wait for
   * that run to finish and print it.
   */
  async runOnce(hint = true): Promise<RunInfo> {
    this.#busy = true;
    try {
      const snapshot = await snapshotWorkingTree(this.github.fake, { dir: this.cwd, repository: LOCAL_REPOSITORY, message: "npm start: snapshot of credentials/", extra: EXAMPLE_FILES });
      await this.createDeliveryTargets();
      const before = await this.worker.status();
      if (snapshot.commit !== null) {
        console.log(`\nPushed ${snapshot.sha.slice(0, 7)} (${describeCommit(snapshot)}); waiting for the Worker…`);
        await this.worker.sendPush(snapshot);
      } else {
        console.log(`\ncredentials/ unchanged since ${snapshot.sha.slice(0, 7)}; asking the Worker to reconcile anyway…`);
        await this.worker.reconcileNow();
      }
      // While a commit is held, a reconcile keeps the account at the last applied commit: its run is for that one.
      const run = await this.worker.waitForRun(snapshot.commit === null && before.held !== null ? null : snapshot.sha, before.last?.id ?? null);
      console.log(`\n${formatRun(run)}`);
      if (hint && run.status === "held") console.log(heldHint(run, null));
      return run;
    } finally {
      this.#busy = false;
    }
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

