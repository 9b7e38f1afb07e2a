// Inside workerd, the GitHub App key works in the PKCS#1 form GitHub hands out, and through auth-app to an installation token.
import { expect, it } from "vitest";
import { GitHubClient } from "../../src/github/client.js";
import { githubTokenSource } from "../../src/github/auth.js";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { freshWorld, bindings } from "./support.js";

it("mints an installation token from a PKCS#1 key and reads the repository with it", async () => {
  await freshWorld();
  const pkcs1 = (bindings as unknown as { TEST_GITHUB_APP_PRIVATE_KEY_PKCS1: string }).TEST_GITHUB_APP_PRIVATE_KEY_PKCS1;
  expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY");
  const token = githubTokenSource({ GITHUB_APP_ID: bindings.GITHUB_APP_ID ?? "", GITHUB_APP_PRIVATE_KEY: pkcs1 }, bindings.GITHUB_API_URL, TEST_REPOSITORY);
  const client = new GitHubClient({ baseUrl: bindings.GITHUB_API_URL, token });
  const repo = await client.request<{ full_name: string }>("GET", `/repos/${TEST_REPOSITORY}`);
  expect(repo.full_name).toBe(TEST_REPOSITORY);
});
