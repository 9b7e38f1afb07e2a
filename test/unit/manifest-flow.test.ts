// setup's loopback page converts only a code that comes back with its own state, once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";
import { runManifestFlow } from "../../src/ops/manifest-flow.js";

let github: StartedFakeGitHub;
beforeAll(async () => {
  github = await startFakeGitHub({ port: 0 });
});
afterAll(async () => {
  await github?.close();
});

const form = (fields: Record<string, string>): RequestInit => ({ method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "test" }, body: new URLSearchParams(fields).toString() });
const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

it("ignores a callback with another state, converts the one with its state", async () => {
  let opened: (url: string) => void = () => {};
  const page = new Promise<string>((resolve) => (opened = resolve));
  const flow = runManifestFlow({ webUrl: github.url, apiUrl: github.url, name: "flow-test", workerUrl: "https://w.example", repository: "octocat/infra", onListening: (url) => opened(url) });
  const origin = await page;
  const forged = await fetch(`${origin}callback?code=abc&state=not-ours`);
  expect(forged.status).toBe(400);

  const html = await (await fetch(origin)).text();
  const action = decode(/action="([^"]+)"/.exec(html)?.[1] ?? "");
  const manifest = decode(/name="manifest" value="([^"]+)"/.exec(html)?.[1] ?? "");
  const state = new URL(action).searchParams.get("state") ?? "";
  expect((await fetch(action, form({ manifest }))).status).toBe(200);
  const created = await fetch(`${github.url}/settings/apps`, form({ manifest, name: "flow-test", state }));
  const back = created.headers.get("location") ?? "";
  expect(back.startsWith(`${origin}callback?code=`)).toBe(true);
  expect((await fetch(back)).status).toBe(200);
  const app = await flow;
  expect(app.slug).toBe("flow-test");
  expect(app.webhookSecret).toBe(github.fake.apps.bySlug("flow-test")?.hook?.secret);
});
