// Minted tokens reach GitHub Actions secrets (opened with the test's own key: the fake never shows a value), are redelivered after failures, and rotate without a gap.
import { beforeEach, describe, expect, it } from "vitest";
import { decodeMetadata, encodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { installSecretKey, type SecretOpener } from "./sealed-open.js";
import { freshWorld, admin, emulator, emulatorCalls, emulatorTokens, github, liveCredentials, settle } from "./support.js";

const SITE = "acme/site";
const spec = (targets: string[]) =>
  `credentials:\n  - name: ci-runners\n    description: CI\n${targets.length ? `    deliver:\n${targets.map((t) => `      - ${t}`).join("\n")}\n` : ""}`;
const REPO_SECRET = "github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN}";
const ENV_SECRET = "github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN, environment: prod}";

interface Received {
  name: string;
  encrypted_value: string;
}
interface SiteView {
  secrets: { actions: Received[]; environments: Record<string, Received[]> };
}
const site = () => github<SiteView>("GET", `/__fake/repos/${SITE}`);
let repoKey: SecretOpener;
let prodKey: SecretOpener;
/** What the repository secret (or the prod environment's) `name` holds, opened with the test's key; undefined when absent. */
async function secretValue(name: string, environment?: "prod"): Promise<string | undefined> {
  const { secrets } = await site();
  const found = (environment ? (secrets.environments[environment] ?? []) : secrets.actions).find((s) => s.name === name);
  return found ? (environment ? prodKey : repoKey).open(found.encrypted_value) : undefined;
}

async function pushSpecs(content: string) {
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "main", files: { "credentials/ci.yaml": content }, replace: true });
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  return settle();
}

async function managed() {
  return (await liveCredentials()).filter((c) => {
    const d = decodeMetadata(c.metadata);
    return d.kind === "managed" && d.marker.name === "ci-runners";
  });
}

// Each test starts from nothing and makes what it needs, so any one of them passes alone and in any order.
beforeEach(async () => {
  await freshWorld({ repos: [{ full_name: SITE, environments: ["prod"] }] });
  repoKey = await installSecretKey(`/__fake/repos/${SITE}/secrets/rotate-key`);
  prodKey = await installSecretKey(`/__fake/repos/${SITE}/secrets/rotate-key`, { environment: "prod" });
});

describe("delivery", () => {
  it("delivers the minted token after create; the secret decrypts to the real token", async () => {
    const status = await pushSpecs(spec([REPO_SECRET]));
    expect(status.last).toMatchObject({ status: "succeeded" });
    const [credential] = await managed();
    const tokens = await emulatorTokens();
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe(tokens[credential!.id]);
    expect(JSON.stringify(status)).not.toContain(tokens[credential!.id]);
  });

  it("a failed delivery is retried by the next run from the stored token, without a new credential", async () => {
    expect((await pushSpecs(spec([REPO_SECRET]))).last).toMatchObject({ status: "succeeded" });
    await github("POST", "/__fake/faults", { method: "PUT", path: `/repos/${SITE}/environments/prod/secrets`, status: 502 });
    const before = await managed();
    const failed = await pushSpecs(spec([REPO_SECRET, ENV_SECRET]));
    expect(failed.last).toMatchObject({ status: "failed" });
    expect(failed.last?.errors.join("\n")).toContain("acme/site@prod:NGROK_AUTHTOKEN");
    await github("DELETE", "/__fake/faults");
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const retried = await settle();
    expect(retried.last).toMatchObject({ status: "succeeded" });
    const after = await managed();
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    const tokens = await emulatorTokens();
    expect(await secretValue("NGROK_AUTHTOKEN", "prod")).toBe(tokens[after[0]!.id]);
    // Nothing left to deliver: the next run is quiet.
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last?.outcomes).toEqual([]);
  });

  it("removing a target deletes the secret it created", async () => {
    expect((await pushSpecs(spec([REPO_SECRET, ENV_SECRET]))).last).toMatchObject({ status: "succeeded" });
    expect((await site()).secrets.environments.prod?.map((s) => s.name)).toEqual(["NGROK_AUTHTOKEN"]);
    const status = await pushSpecs(spec([REPO_SECRET]));
    expect(status.last?.outcomes.map((o) => `${o.action} ${o.status} ${o.target}`)).toEqual(["undeliver done acme/site@prod:NGROK_AUTHTOKEN"]);
    expect((await site()).secrets.environments.prod ?? []).toEqual([]);
    expect((await site()).secrets.actions.map((s) => s.name)).toEqual(["NGROK_AUTHTOKEN"]);
  });
});

describe("rotation", () => {
  it("rotates on request: the new token is delivered while the old one still works, and the old goes after the grace window", async () => {
    expect((await pushSpecs(spec([REPO_SECRET]))).last).toMatchObject({ status: "succeeded" });
    const deliveriesAudited = async () => ((await (await admin("/api/audit?name=ci-runners&kind=delivery")).json()) as { entries: unknown[] }).entries.length;
    const auditedBefore = await deliveriesAudited();
    const [old] = await managed();
    const res = await admin("/api/credentials/ci-runners/rotate", { method: "POST" });
    expect(res.status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "succeeded" });
    const both = await managed();
    expect(both).toHaveLength(2);
    const successor = both.find((c) => c.id !== old!.id)!;
    const tokens = await emulatorTokens();
    // During the grace window: the secret holds the new token, and the old credential is still alive.
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe(tokens[successor.id]);
    expect(both.map((c) => c.id)).toContain(old!.id);
    const stored = (await (await admin("/api/credentials/ci-runners/token")).json()) as { id: string };
    expect(stored.id).toBe(successor.id);
    // A run inside the window neither duplicates nor deletes early.
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    expect((await settle()).last?.outcomes).toEqual([]);
    expect(await managed()).toHaveLength(2);
    // Move the clock past the window (the retire time lives in the old credential's marker).
    await emulator("PATCH", `/credentials/${old!.id}`, { metadata: encodeMetadata(null, { owner: TEST_SECRETS.OWNER_ID, name: "ci-runners", retire: "2000-01-01T00:00:00.000Z" }) });
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const after = await settle();
    expect(after.last?.outcomes.map((o) => `${o.action} ${o.status}`)).toEqual(["delete done"]);
    expect((await managed()).map((c) => c.id)).toEqual([successor.id]);
    expect(await secretValue("NGROK_AUTHTOKEN")).toBe(tokens[successor.id]);
    // The rotation delivered once (the new token), audited without it.
    expect((await deliveriesAudited()) - auditedBefore).toBe(1);
    expect(await (await admin("/api/audit?name=ci-runners&kind=delivery")).text()).not.toContain(tokens[successor.id]!);
    expect((await emulatorCalls()).length).toBeGreaterThan(0);
  });
});

describe("organisation secrets", () => {
  const ORG_SECRET = "github_actions_org_secret: {org: acme, name: NGROK_AUTHTOKEN, visibility: all}";
  const org = () => github<{ secrets: { name: string; encrypted_value: string; visibility: string }[] }>("GET", "/__fake/orgs/acme");

  it("delivers the stored token to an organisation secret with its visibility, and removes it with the target", async () => {
    await github("POST", "/__fake/orgs", { login: "acme" });
    const orgKey = await installSecretKey("/__fake/orgs/acme/secrets/rotate-key");
    expect((await pushSpecs(spec([REPO_SECRET]))).last).toMatchObject({ status: "succeeded" });
    const [current] = await managed();
    const status = await pushSpecs(spec([REPO_SECRET, ORG_SECRET]));
    expect(status.last?.outcomes.map((o) => `${o.action} ${o.status} ${o.target}`)).toEqual(["deliver done org:acme:NGROK_AUTHTOKEN"]);
    const tokens = await emulatorTokens();
    const received = await Promise.all((await org()).secrets.map(async ({ name, encrypted_value, visibility }) => ({ name, value: await orgKey.open(encrypted_value), visibility })));
    expect(received).toEqual([{ name: "NGROK_AUTHTOKEN", value: tokens[current!.id], visibility: "all" }]);
    const removed = await pushSpecs(spec([REPO_SECRET]));
    expect(removed.last?.outcomes.map((o) => `${o.action} ${o.status} ${o.target}`)).toEqual(["undeliver done org:acme:NGROK_AUTHTOKEN"]);
    expect((await org()).secrets).toEqual([]);
  });
});
