// Secret delivery inside workerd: sealTo runs here (no WASM), the fake GitHub in Node accepts only boxes libsodium opens, and
// the test opens them with its own installed key (the fake never shows a value) to the same token.
import { describe, expect, it } from "vitest";
import { GitHubClient } from "../../src/github/client.js";
import { sealTo } from "../../src/github/sealed-box.js";
import { deleteActionsSecret, putActionsSecret, type PublicKeyCache } from "../../src/github/secrets.js";
import { installSecretKey, type SecretOpener } from "./sealed-open.js";
import { bindings, github } from "./support.js";

interface SecretView {
  name: string;
  encrypted_value: string;
}
interface SecretsRepoView {
  secrets: { actions: SecretView[]; environments: Record<string, SecretView[]> };
  public_keys: { actions: { key_id: string; key: string } };
}

let repos = 0;
/** A repository of its own (the fake outlives each file), a client with an installation token the fake accepts. */
async function setup(environments: string[] = []) {
  const fullName = `sealed-box/r${Date.now()}-${++repos}`;
  await github("POST", "/__fake/repos", { full_name: fullName, environments });
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { installation: true });
  const client = new GitHubClient({ baseUrl: bindings.GITHUB_API_URL, token: async () => token });
  const view = () => github<SecretsRepoView>("GET", `/__fake/repos/${fullName}`);
  const openers = new Map<string, SecretOpener>([["", await installSecretKey(`/__fake/repos/${fullName}/secrets/rotate-key`)]]);
  for (const environment of environments) openers.set(environment, await installSecretKey(`/__fake/repos/${fullName}/secrets/rotate-key`, { environment }));
  /** [name, plaintext] of each secret as received, opened with the test's key for the repository or environment. */
  const opened = async (list: readonly SecretView[] | undefined, environment = "") =>
    Promise.all((list ?? []).map(async (s) => [s.name, await openers.get(environment)!.open(s.encrypted_value)]));
  return { fullName, client, view, opened };
}

const ngrokToken = () => `2Wx${crypto.randomUUID().replaceAll("-", "")}_${crypto.randomUUID().replaceAll("-", "")}`;

describe("sealed box in workerd", () => {
  it("runs in workerd, where libsodium's WASM cannot", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });

  it("seals a token that the fake GitHub opens with libsodium to the same token, through putActionsSecret", async () => {
    const { fullName, client, view, opened } = await setup();
    const token = ngrokToken();
    expect(await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" }, token)).toBe("created");
    expect(await opened((await view()).secrets.actions)).toEqual([["NGROK_AUTHTOKEN", token]]);
    const next = ngrokToken();
    expect(await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" }, next)).toBe("updated");
    expect(await opened((await view()).secrets.actions)).toEqual([["NGROK_AUTHTOKEN", next]]);
    // The stand-in's answers never carry the value itself.
    expect(JSON.stringify(await view())).not.toContain(next);
    expect(JSON.stringify(await github("GET", "/__fake/state"))).not.toContain(next);
  });

  it("gives a different ciphertext each time, each opening to the token, and one sealed to another key is refused", async () => {
    const { fullName, client, view, opened } = await setup();
    const other = await setup();
    const { key_id, key } = (await view()).public_keys.actions;
    const token = ngrokToken();
    const [a, b] = [await sealTo(key, token), await sealTo(key, token)];
    expect(a).not.toBe(b);
    for (const [name, encrypted_value] of [["A", a], ["B", b]] as const) {
      await client.request("PUT", `/repos/${fullName}/actions/secrets/${name}`, { encrypted_value, key_id });
    }
    expect(await opened((await view()).secrets.actions)).toEqual([["A", token], ["B", token]]);
    const foreign = await sealTo((await other.view()).public_keys.actions.key, token);
    await expect(client.request("PUT", `/repos/${fullName}/actions/secrets/C`, { encrypted_value: foreign, key_id })).rejects.toMatchObject({ status: 422 });
  });

  it("delivers environment secrets apart from repository secrets, fetching each key once per cache", async () => {
    const { fullName, client, view, opened } = await setup(["production"]);
    const keys: PublicKeyCache = new Map();
    const [repoToken, envToken, envToken2] = [ngrokToken(), ngrokToken(), ngrokToken()];
    await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" }, repoToken, keys);
    await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN", environment: "production" }, envToken, keys);
    await putActionsSecret(client, { repo: fullName, name: "SECOND", environment: "production" }, envToken2, keys);
    const { secrets } = await view();
    expect(await opened(secrets.actions)).toEqual([["NGROK_AUTHTOKEN", repoToken]]);
    expect(await opened(secrets.environments["production"], "production")).toEqual([
      ["NGROK_AUTHTOKEN", envToken],
      ["SECOND", envToken2],
    ]);
    const fetched = await github<{ path: string }[]>("GET", `/__fake/requests?method=GET&path=/repos/${fullName}/`);
    expect(fetched.map((r) => r.path).filter((p) => p.endsWith("/public-key"))).toEqual([
      `/repos/${fullName}/actions/secrets/public-key`,
      `/repos/${fullName}/environments/production/secrets/public-key`,
    ]);
  });

  it("deletes a repository or environment secret, and counts one already gone as absent", async () => {
    const { fullName, client, view } = await setup(["production"]);
    await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" }, ngrokToken());
    await putActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN", environment: "production" }, ngrokToken());
    expect(await deleteActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN", environment: "production" })).toBe("deleted");
    expect((await view()).secrets.environments["production"]).toEqual([]);
    expect((await view()).secrets.actions).toHaveLength(1);
    expect(await deleteActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" })).toBe("deleted");
    expect(await deleteActionsSecret(client, { repo: fullName, name: "NGROK_AUTHTOKEN" })).toBe("absent");
    expect((await view()).secrets.actions).toEqual([]);
  });
});
