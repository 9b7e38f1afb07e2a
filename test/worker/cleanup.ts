// Leaves the shared fake GitHub as the other worker test files expect it: no drift issue of ours left labelled.
import { TEST_REPOSITORY } from "../support/test-env.js";
import { bindings, github } from "./support.js";

const DRIFT_LABEL = "ngrok-gitops-drift";

/**
 * Each test file gets its own Durable Object storage, but the fake GitHub lives for the whole run: a drift issue
 * a cron tick opened here would be a second one in drift.test.ts. Close it and take its label off.
 */
export async function forgetDriftIssues(): Promise<void> {
  const view = await github<{ issues: { number: number; labels: { name: string }[] }[] }>("GET", `/__fake/repos/${TEST_REPOSITORY}`);
  const ours = view.issues.filter((i) => i.labels.some((l) => l.name === DRIFT_LABEL));
  if (ours.length === 0) return;
  const { token } = await github<{ token: string }>("POST", "/__fake/tokens", { installation: true, login: "test-cleanup" });
  for (const issue of ours) {
    const res = await fetch(`${bindings.GITHUB_API_URL}/repos/${TEST_REPOSITORY}/issues/${issue.number}`, {
      method: "PATCH",
      headers: { Authorization: `token ${token}`, "User-Agent": "ngrok-gitops-tests", "Content-Type": "application/json" },
      body: JSON.stringify({ state: "closed", labels: [] }),
    });
    if (!res.ok) throw new Error(`closing drift issue #${issue.number}: ${res.status} ${await res.text()}`);
  }
}
