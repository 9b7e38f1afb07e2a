// The cron trigger finds drift of every kind: it corrects it in DRIFT_MODE=correct and only reports it in report mode.
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { parseConfig } from "../../src/config.js";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { executeRun } from "./direct-run.js";
import { ReconcilerStorage } from "../../src/reconciler/storage.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, bindings, emulator, emulatorTokens, github, liveCredentials, reconciler, settle } from "./support.js";

const SPECS = "credentials:\n  - name: api\n    description: api tunnels\n    acl: [bind:api.example.com]\n  - name: jobs\n    description: batch jobs\n";
const driftIssues = async () =>
  (await github<{ issues: { state: string; body: string; labels: { name: string }[] }[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`)).issues.filter((i) =>
    i.labels.some((l) => l.name === "ngrok-gitops-drift"),
  );
const byDescription = async () => Object.fromEntries((await liveCredentials()).map((c) => [c.description ?? "", c]));

async function cron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return settle();
}

/** Edits the account behind our back: a changed field, a deleted credential, an extra managed one, an unmanaged one. */
async function drift(): Promise<void> {
  const live = await byDescription();
  await emulator("PATCH", `/credentials/${live["api tunnels"]!.id}`, { description: "edited in the dashboard", acl: [] });
  await emulator("DELETE", `/credentials/${live["batch jobs"]!.id}`);
  await emulator("POST", "/credentials", { description: "stray", metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: "stray" }) });
  await emulator("POST", "/credentials", { description: "someone's laptop" });
}

beforeAll(async () => {
  await freshWorld({ files: { "credentials/drift.yaml": SPECS } });
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  expect((await settle()).last).toMatchObject({ cause: "manual", status: "succeeded" });
});

describe("drift", () => {
  it("report mode plans the correction and changes nothing", async () => {
    await drift();
    const before = await liveCredentials();
    const output = await runInDurableObject(reconciler(), async (_instance, state) => {
      const storage = new ReconcilerStorage(state.storage.sql);
      const env = { ...bindings, DRIFT_MODE: "report" } as Env;
      return executeRun({ cause: "cron", mode: "apply" }, { env, config: parseConfig(env), storage, runId: 0 });
    });
    expect(output.status).toBe("succeeded");
    expect(output.outcomes.map((o) => `${o.action} ${o.name} ${o.status}`).sort()).toEqual(["create jobs planned", "delete stray planned", "update api planned"]);
    expect(await liveCredentials()).toEqual(before);
    expect((await reconciler().status()).drift).toMatchObject({ detected: true, changes: 3 });
    const issues = await driftIssues();
    expect(issues.map((i) => i.state)).toEqual(["open"]);
    expect(issues[0]?.body).toContain("DRIFT_MODE=report: nothing was changed");
  });

  it("correct mode (the default) puts every kind of drift back and leaves unmanaged credentials alone", async () => {
    const status = await cron();
    expect(status.last).toMatchObject({ cause: "cron", status: "succeeded" });
    const live = await byDescription();
    expect(Object.keys(live).sort()).toEqual(["api tunnels", "batch jobs", "someone's laptop"]);
    expect(live["api tunnels"]?.acl).toEqual(["bind:api.example.com"]);
    const tokens = await emulatorTokens();
    const jobs = (await (await admin("/api/credentials/jobs/token")).json()) as { id: string; token: string };
    expect(jobs.id).toBe(live["batch jobs"]?.id);
    expect(jobs.token).toBe(tokens[jobs.id]);
    expect((await reconciler().status()).drift).toMatchObject({ detected: true, changes: 3 });
    // Still one issue, updated in place; the next clean tick closes it.
    expect((await driftIssues()).map((i) => [i.state, i.body.includes("It was corrected")])).toEqual([["open", true]]);
    const again = await cron();
    expect(again.drift).toMatchObject({ detected: false, changes: 0 });
    expect((await driftIssues()).map((i) => i.state)).toEqual(["closed"]);
    await cron();
    expect(await driftIssues()).toHaveLength(1);
  });

  it("the audit log answers who changed a credential, in which commit and why", async () => {
    const audit = (await (await admin("/api/audit?name=jobs&kind=change")).json()) as { entries: { cause: string; action: string; sha: string; result: string }[] };
    expect(audit.entries.map((e) => [e.cause, e.action, e.result])).toEqual([
      ["cron", "create", "done"],
      ["manual", "create", "done"],
    ]);
    expect(audit.entries.every((e) => /^[0-9a-f]{40}$/.test(e.sha))).toBe(true);
    const page = (await (await admin("/api/audit?limit=1")).json()) as { entries: unknown[]; next_before: number | null };
    expect(page.entries).toHaveLength(1);
    expect(page.next_before).not.toBeNull();
  });
});
