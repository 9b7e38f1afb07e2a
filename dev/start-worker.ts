// npm start's calls to the local Worker: signed webhooks as GitHub sends them, /api/status, and waiting for a run to finish.
import { randomUUID } from "node:crypto";
import { buildPushEvent, signWebhook } from "../standins/github/webhooks.js";
import type { SnapshotResult } from "../standins/github/working-tree.js";
import type { DevVars } from "./dev-vars.js";
import { discardBody } from "./drain.js";
import { isFinished, readStatus, RunWatch, type RunInfo, type WorkerStatus } from "./run-status.js";

/** How long a run may show no progress before npm start gives up on it (a run paced to ngrok's limit moves every minute). */
const RUN_STALL_MS = 120_000;
/** A long apply prints a progress line every this many changes, as the CLI does. */
const PROGRESS_EVERY = 25;

export class LocalWorker {
  constructor(
    readonly url: string,
    private readonly vars: DevVars,
    private readonly githubUrl: string,
    private readonly repository: string,
  ) {}

  async reconcileNow(): Promise<void> {
    const res = await fetch(`${this.url}/api/reconcile`, {
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
      repository: { fullName: this.repository, defaultBranch: "main", private: true },
      ref: "main",
      before: commit.before,
      after: commit.sha,
      commits: [{ id: commit.sha, treeId: commit.tree, message, added: commit.added, modified: commit.modified, removed: commit.removed }],
      apiUrl: this.githubUrl,
      htmlUrl: this.githubUrl,
    });
    await this.sendWebhook("push", payload);
  }

  async sendWebhook(event: "push" | "pull_request", payload: object): Promise<void> {
    const body = JSON.stringify(payload);
    const res = await fetch(`${this.url}/webhooks/github`, {
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
    const res = await fetch(`${this.url}/api/status`, { headers: { Authorization: `Bearer ${this.vars.ADMIN_TOKEN}` } });
    if (!res.ok) {
      await discardBody(res);
      throw new Error(`GET /api/status answered HTTP ${res.status}`);
    }
    return readStatus(await res.json());
  }

  /** The first finished run for `sha` (null: any) that is not the one that was last before the push. */
  async waitForRun(sha: string | null, previousId: string | null): Promise<RunInfo> {
    const watch = new RunWatch(RUN_STALL_MS, PROGRESS_EVERY, Date.now());
    while (!watch.stalled(Date.now())) {
      const { last, progress } = await this.status();
      if (last !== null && (sha === null || last.sha === sha) && last.id !== previousId && isFinished(last)) return last;
      const line = watch.observe(progress, Date.now());
      if (line !== null) console.log(line);
      await sleep(300);
    }
    throw new Error(`no finished run for ${sha?.slice(0, 7) ?? "the reconcile"}, and no progress for ${RUN_STALL_MS / 1000} s; see the wrangler output above`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
