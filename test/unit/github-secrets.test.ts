// The Actions secrets client against the fake GitHub in process: the fake opens each box with libsodium, so a pass means the right value reached the right secret.
import { beforeEach, describe, expect, it } from "vitest";
import { GitHubApiError, GitHubClient } from "../../src/github/client.js";
import { deleteActionsSecret, putActionsSecret, secretsPath, type PublicKeyCache } from "../../src/github/secrets.js";
import { createFakeGitHub, type FakeGitHub } from "../../standins/github/app.js";

const AUTH = "ghs_installation_token_for_secrets";
const REPO = "acme/infra";
const TOKEN = "2Xngrok_authtoken_value_0123456789abcdef";

let fake: FakeGitHub;
let github: GitHubClient;

beforeEach(async () => {
  fake = createFakeGitHub({ tokens: [{ token: AUTH, installation: true }] });
  await fake.state.createRepo({ fullName: REPO, environments: ["production"] });
  await fake.state.createRepo({ fullName: "acme/web" });
  github = new GitHubClient({ baseUrl: "http://fake-github.test", token: async () => AUTH, fetch: async (r) => fake.app.fetch(r) });
});

const value = (repo: string, name: string, environment?: string) => fake.openedSecret(environment === undefined ? { repo } : { repo, environment }, name);
const keyFetches = () => fake.state.requests.filter((r) => r.method === "GET" && r.path.endsWith("/secrets/public-key")).map((r) => r.path);

describe("putActionsSecret", () => {
  it("creates, then updates, a repository secret holding exactly the value", async () => {
    expect(await putActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" }, TOKEN)).toBe("created");
    expect(value(REPO, "NGROK_AUTHTOKEN")).toBe(TOKEN);
    expect(await putActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" }, `${TOKEN}-rotated`)).toBe("updated");
    expect(value(REPO, "NGROK_AUTHTOKEN")).toBe(`${TOKEN}-rotated`);
    expect(fake.view(REPO).secrets.environments["production"]).toEqual([]);
  });

  it("delivers an environment secret with the environment's own key, apart from the repository's", async () => {
    const target = { repo: REPO, name: "NGROK_AUTHTOKEN", environment: "production" };
    expect(await putActionsSecret(github, target, TOKEN)).toBe("created");
    expect(value(REPO, "NGROK_AUTHTOKEN", "production")).toBe(TOKEN);
    expect(value(REPO, "NGROK_AUTHTOKEN")).toBeUndefined();
    expect(keyFetches()).toEqual([`/repos/${REPO}/environments/production/secrets/public-key`]);
  });

  it("fetches each repository's and environment's public key once per cache, however many secrets go there", async () => {
    const keys: PublicKeyCache = new Map();
    await Promise.all(["A", "B", "C"].map((name) => putActionsSecret(github, { repo: REPO, name }, `${TOKEN}-${name}`, keys)));
    await putActionsSecret(github, { repo: "ACME/Infra", name: "D" }, `${TOKEN}-D`, keys);
    await putActionsSecret(github, { repo: REPO, name: "E", environment: "production" }, `${TOKEN}-E`, keys);
    await putActionsSecret(github, { repo: REPO, name: "F", environment: "production" }, `${TOKEN}-F`, keys);
    await putActionsSecret(github, { repo: "acme/web", name: "G" }, `${TOKEN}-G`, keys);
    expect(keyFetches()).toEqual([
      `/repos/${REPO}/actions/secrets/public-key`,
      `/repos/${REPO}/environments/production/secrets/public-key`,
      "/repos/acme/web/actions/secrets/public-key",
    ]);
    for (const name of ["A", "B", "C", "D", "G"]) expect(value(name === "G" ? "acme/web" : REPO, name)).toBe(`${TOKEN}-${name}`);
    for (const name of ["E", "F"]) expect(value(REPO, name, "production")).toBe(`${TOKEN}-${name}`);
  });

  it("without a shared cache, asks for the key each time", async () => {
    await putActionsSecret(github, { repo: REPO, name: "A" }, TOKEN);
    await putActionsSecret(github, { repo: REPO, name: "B" }, TOKEN);
    expect(keyFetches()).toHaveLength(2);
  });

  it("refetches the key and retries once when GitHub rotated it since it was cached", async () => {
    const keys: PublicKeyCache = new Map();
    await putActionsSecret(github, { repo: REPO, name: "A" }, "one", keys);
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    fake.state.rotateSecretKey(repo);
    expect(await putActionsSecret(github, { repo: REPO, name: "B" }, "two", keys)).toBe("created");
    expect(value(REPO, "B")).toBe("two");
    expect(keyFetches()).toHaveLength(2);
    const puts = fake.state.requests.filter((r) => r.method === "PUT").map((r) => r.status);
    expect(puts).toEqual([201, 422, 201]);
  });

  it("does not retry a 422 for a key it has just fetched", async () => {
    fake.state.addFault({ method: "PUT", path: `/repos/${REPO}/actions/secrets/A`, status: 422, body: { message: "Validation Failed" } });
    await expect(putActionsSecret(github, { repo: REPO, name: "A" }, TOKEN)).rejects.toMatchObject({ status: 422 });
    expect(fake.state.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
  });

  it("does not keep a failed key fetch in the cache", async () => {
    const keys: PublicKeyCache = new Map();
    fake.state.addFault({ method: "GET", path: `/repos/${REPO}/actions/secrets/public-key`, status: 502, times: 1 });
    await expect(putActionsSecret(github, { repo: REPO, name: "A" }, TOKEN, keys)).rejects.toBeInstanceOf(GitHubApiError);
    expect(keys.size).toBe(0);
    expect(await putActionsSecret(github, { repo: REPO, name: "A" }, TOKEN, keys)).toBe("created");
    expect(value(REPO, "A")).toBe(TOKEN);
  });

  it("fails with a GitHubApiError that names the target but carries neither the value nor the auth token", async () => {
    fake.state.addFault({ method: "PUT", path: `/repos/${REPO}/actions/secrets/NGROK_AUTHTOKEN`, status: 403, body: { message: "Resource not accessible by integration" } });
    const error = await putActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" }, TOKEN).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitHubApiError);
    const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ""}`;
    expect(text).toContain("/repos/acme/infra/actions/secrets/NGROK_AUTHTOKEN");
    expect(text).toContain("403");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(AUTH);
  });

  it("404s a missing environment rather than creating a repository secret", async () => {
    await expect(putActionsSecret(github, { repo: REPO, name: "A", environment: "staging" }, TOKEN)).rejects.toMatchObject({ status: 404 });
    expect(fake.view(REPO).secrets.actions).toEqual([]);
  });
});

describe("deleteActionsSecret", () => {
  it("deletes a repository secret, and counts one already gone as absent", async () => {
    await putActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" }, TOKEN);
    expect(await deleteActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" })).toBe("deleted");
    expect(fake.view(REPO).secrets.actions).toEqual([]);
    expect(await deleteActionsSecret(github, { repo: REPO, name: "NGROK_AUTHTOKEN" })).toBe("absent");
  });

  it("deletes only the environment's secret when given an environment", async () => {
    await putActionsSecret(github, { repo: REPO, name: "T" }, "repo-level");
    await putActionsSecret(github, { repo: REPO, name: "T", environment: "production" }, "env-level");
    expect(await deleteActionsSecret(github, { repo: REPO, name: "T", environment: "production" })).toBe("deleted");
    expect(fake.view(REPO).secrets.environments["production"]).toEqual([]);
    expect(value(REPO, "T")).toBe("repo-level");
  });

  it("passes on errors other than 404", async () => {
    fake.state.addFault({ method: "DELETE", status: 500, times: 1 });
    await expect(deleteActionsSecret(github, { repo: REPO, name: "T" })).rejects.toMatchObject({ status: 500 });
  });
});

describe("secretsPath", () => {
  it("encodes the environment name and refuses a malformed repository or an empty environment", () => {
    expect(secretsPath({ repo: REPO })).toBe("/repos/acme/infra/actions/secrets");
    expect(secretsPath({ repo: REPO, environment: "prod/eu 1" })).toBe("/repos/acme/infra/environments/prod%2Feu%201/secrets");
    expect(() => secretsPath({ repo: "acme" })).toThrow(/not a repository/);
    expect(() => secretsPath({ repo: REPO, environment: "" })).toThrow(/non-empty/);
  });
});
