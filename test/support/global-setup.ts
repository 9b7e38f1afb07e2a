// Starts the ngrok emulator and the fake GitHub on loopback for the workerd tests, and hands their URLs and test secrets to the Worker's bindings.
import type { TestProject } from "vitest/node";
import { startEmulator } from "../../standins/ngrok/server.js";
import { formatRateLimit } from "../../src/ngrok/rate-limit.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";
import { generateAppKeyPair } from "../../standins/github/app-auth.js";
import { startFakeGitHub } from "../../standins/github/server.js";
import { TEST_APP_ID, TEST_SECRETS } from "./test-env.js";

/** The test account's budget: one account serves every workerd test file (rate-limit.test.ts sets its own). */
const TEST_ACCOUNT_RATE = { limit: 100_000, windowMs: 60_000 };

export default async function setup(project: TestProject) {
  const keys = await generateAppKeyPair();
  // One account serves every workerd test file, so ngrok's 120/60s would throttle the suite itself: a generous
  // window and cap keep the limit code on the path while no test waits on real time (the limit's own tests use
  // an injected clock). Only the test key is accepted: a Worker sending another gets 401, as from ngrok.
  const emulator = await startEmulator({ port: 0, rateLimit: TEST_ACCOUNT_RATE, maxConcurrent: 64, apiKeys: [TEST_SECRETS.NGROK_API_KEY] });
  const github = await startFakeGitHub({ port: 0, app: { id: TEST_APP_ID, publicKeyPem: keys.publicKeyPem } });
  const bindings: Record<string, string> = {
    ...TEST_SECRETS,
    NGROK_API_URL: emulator.url,
    GITHUB_API_URL: github.url,
    GITHUB_APP_ID: String(TEST_APP_ID),
    GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem,
    // The same key in the PKCS#1 form GitHub hands out, for the test that the Worker accepts it as downloaded.
    TEST_GITHUB_APP_PRIVATE_KEY_PKCS1: keys.privateKeyPkcs1Pem,
    TOKEN_ENCRYPTION_KEYS: generateKeyringEntry("test1"),
    // The Worker paces itself to the account it is given, as a deployment is configured for its account.
    NGROK_RATE_LIMIT: formatRateLimit(TEST_ACCOUNT_RATE),
  };
  project.provide("workerBindings", bindings);
  return async () => {
    await Promise.all([emulator.close(), github.close()]);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The Worker's bindings for the workerd tests: loopback URLs of the stand-ins and test secrets. */
    workerBindings: Record<string, string>;
  }
}
