// Load: 200 concurrent webhook deliveries for one repository plus cron ticks are all answered, run one at a time, and converge to exactly the specs.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { decodeMetadata } from "../../src/ownership/marker.js";
import type { RunInfo } from "../../src/reconciler/types.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, admin, bindings, commit, deliver, emulatorTokens, github, liveCredentials, pullRequestPayload, pushPayload, reconciler, repoView, settle } from "./support.js";

const NAMES = Array.from({ length: 12 }, (_, i) => `load-${String(i).padStart(2, "0")}`);
const specs = (names: readonly string[]) => `credentials:\n${names.map((n) => `  - name: ${n}\n    description: ${n} tunnels\n`).join("")}`;
const PRS = [501, 502, 503, 504, 505];
const DELIVERIES = 200;
const CRON_TICKS = 3;

let head = "";
let base = "";
const prHeads = new Map<number, string>();

beforeAll(async () => {
  // Something to delete and something to leave alone, so the final state is a real convergence.
  base = (await freshWorld({ files: { "README.md": "load\n" }, seed: [{ description: "someone's laptop" }] })).base;
  for (const pr of PRS) {
    const sha = (await commit(`pr-${pr}`, { "credentials/load.yaml": specs([...NAMES, `pr-${pr}-extra`]) })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: pr, head_ref: `pr-${pr}`, head_sha: sha, base_ref: "main" });
    prHeads.set(pr, sha);
  }
  head = (await commit("main", { "credentials/load.yaml": specs(NAMES) })).sha;
  await settle();
});


describe("load", () => {
  it(`${DELIVERIES} concurrent deliveries and ${CRON_TICKS} cron ticks: all answered, runs serialized, exact final state`, async () => {
    const firstRun = ((await reconciler().status()).last?.id ?? 0) + 1;
    const ctx = createExecutionContext();
    const requests: Promise<Response | null>[] = [];
    for (let i = 0; i < DELIVERIES; i++) {
      const delivery = `load-${i}-${crypto.randomUUID()}`;
      if (i % 5 < 3) requests.push(deliver("push", pushPayload(head, base), { delivery }));
      else {
        const pr = PRS[Math.floor(i / 5) % PRS.length]!;
        requests.push(deliver("pull_request", pullRequestPayload(i % 2 ? "synchronize" : "opened", pr, prHeads.get(pr)!, base), { delivery }));
      }
      if (i % Math.floor(DELIVERIES / CRON_TICKS) === 0 && i / Math.floor(DELIVERIES / CRON_TICKS) < CRON_TICKS) {
        requests.push(worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx).then(() => null));
      }
    }
    const responses = await Promise.all(requests);
    await waitOnExecutionContext(ctx);
    const statuses = responses.filter((r): r is Response => r !== null).map((r) => r.status);
    expect(statuses).toHaveLength(DELIVERIES);
    expect(responses.filter((r) => r === null)).toHaveLength(CRON_TICKS);
    // Every delivery id is new and every event is for our repository: each one is queued.
    expect(statuses.filter((s) => s === 202)).toHaveLength(DELIVERIES);

    await settle();
    const runs: RunInfo[] = [];
    for (let id = firstRun; ; id++) {
      const run = await reconciler().run(id);
      if (!run) break;
      runs.push(run);
    }
    const timeline = JSON.stringify(runs.map((r) => [r.id, r.cause, r.pr, r.status, r.started_at, r.finished_at])).slice(0, 2000);
    // One at a time: each run finished before the next started, and none was cut off.
    expect(runs.length, timeline).toBeGreaterThanOrEqual(1 + PRS.length);
    for (const run of runs) expect(run.finished_at, timeline).not.toBeNull();
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at >= runs[i - 1]!.finished_at!, timeline).toBe(true);
    expect(runs.filter((r) => r.status === "interrupted" || r.status === "running" || r.status === "failed"), timeline).toEqual([]);
    // Coalesced: far fewer runs than requests, yet every pull request got its plan.
    expect(runs.length).toBeLessThan(DELIVERIES / 4);
    for (const pr of PRS) expect(runs.some((r) => r.pr === pr && r.status === "succeeded"), `plan of #${pr}`).toBe(true);

    // The account is exactly the specs of main: each name once, each with its token stored; the laptop untouched.
    const live = await liveCredentials();
    const managed = live.map((c) => decodeMetadata(c.metadata)).flatMap((d) => (d.kind === "managed" ? [d.marker.name] : []));
    expect(managed.sort()).toEqual([...NAMES].sort());
    expect(live.filter((c) => c.description === "someone's laptop")).toHaveLength(1);
    expect(live).toHaveLength(NAMES.length + 1);
    const tokens = await emulatorTokens();
    for (const name of NAMES) {
      const stored = (await (await admin(`/api/credentials/${name}/token`)).json()) as { id: string; token: string };
      expect(stored.token, name).toBe(tokens[stored.id]);
    }
    // Each pull request has one sticky comment, however many deliveries it got.
    const comments = (await repoView()).comments;
    for (const pr of PRS) expect(comments.filter((c) => c.issue_number === pr), `comments of #${pr}`).toHaveLength(1);
  });
});
