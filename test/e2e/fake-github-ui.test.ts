// The GitHub stand-in's web UI in a real browser (Debian's Chromium via playwright-core): comments rendered as GitHub renders markdown, nothing from a comment executes, checks with annotations, statuses, issues, secrets by name only.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealTo } from "../../src/github/sealed-box.js";
import { renderMarkdown, safeHref } from "../../standins/github/ui/markdown.js";
import { startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";
import { call } from "../../standins/github/test-helpers.js";
import { launchBrowser } from "./browser.js";

const TOKEN = "ghs_ui_test_installation_token";
const REPO = "acme/infra";
/** A browser start on a loaded 2-core machine takes seconds; the margin is wide. */
const TIMEOUT = 60_000;

/** What a hostile pull request could put into a comment body or a check's text (via a spec's description, say). */
const HOSTILE = [
  `<script>window.__pwned = "script"</script>`,
  `<img src=x onerror="window.__pwned='img'">`,
  `<a href="javascript:window.__pwned='link'">click</a>`,
  `[md link](javascript:window.__pwned='md')`,
  `[spaced](java\tscript:window.__pwned='tab')`,
  `![pixel](https://tracker.example/pixel.png)`,
  `<details open><summary>s</summary><iframe src="data:text/html,<script>parent.__pwned='iframe'</script>"></iframe></details>`,
].join("\n\n");

const COMMENT = `<!-- ngrok-gitops:plan -->
### ngrok-gitops plan for abc1234

**Plan: 1 to create, 0 to update, 0 to delete.** 2 unchanged · 0 unmanaged left alone

\`\`\`diff
+ ci-runners will be created
+     description: "CI runners <b>"
\`\`\`

> note: see [the docs](https://example.com/docs)

${HOSTILE}
`;

let github: StartedFakeGitHub;
let browser: Browser;
let headSha: string;

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  const res = await page.goto(`${github.url}${path}`);
  expect(res?.status(), path).toBe(200);
  return page;
}

beforeAll(async () => {
  github = await startFakeGitHub({ port: 0, tokens: [{ token: TOKEN, installation: true }], repos: [{ fullName: REPO, files: { "credentials/a.yaml": "credentials: []\n" } }] });
  const fake = github.fake;
  const repo = fake.state.repo("acme", "infra");
  if (!repo) throw new Error("no repo");
  const commit = await fake.state.commit(repo, { branch: "change", files: { "credentials/a.yaml": "credentials:\n  - name: ci-runners\n" } });
  headSha = commit.sha;
  fake.state.upsertPullRequest(repo, { head_ref: "change", title: "Add <ci-runners>", body: "Adds **CI** runners." });
  const ok = (r: { status: number; text: string }, status = 201) => expect(r.status, r.text).toBe(status);
  ok(await call(fake, "POST", `/repos/${REPO}/issues/1/comments`, { token: TOKEN, body: { body: COMMENT } }));
  ok(
    await call(fake, "POST", `/repos/${REPO}/check-runs`, {
      token: TOKEN,
      body: {
        name: "ngrok-gitops plan",
        head_sha: headSha,
        status: "completed",
        conclusion: "failure",
        output: {
          title: "2 errors in 1 spec file",
          summary: "**Invalid specs**: nothing will be applied. <script>window.__pwned='check'</script>",
          annotations: [
            { path: "credentials/a.yaml", start_line: 3, end_line: 3, start_column: 18, end_column: 20, annotation_level: "failure", title: "acl[0]", message: "bad rule <b>bind:</b>" },
            { path: "credentials/a.yaml", start_line: 7, end_line: 8, annotation_level: "warning", message: "description is 256 bytes" },
          ],
        },
      },
    }),
  );
  ok(await call(fake, "POST", `/repos/${REPO}/statuses/${headSha}`, { token: TOKEN, body: { state: "pending", context: "ngrok-gitops", description: "planning" } }));
  ok(await call(fake, "POST", `/repos/${REPO}/statuses/${headSha}`, { token: TOKEN, body: { state: "failure", context: "ngrok-gitops", description: "2 errors", target_url: "javascript:alert(1)" } }));
  ok(await call(fake, "POST", `/repos/${REPO}/issues`, { token: TOKEN, body: { title: "ngrok-gitops: drift detected", body: "Someone changed **ci-runners** outside git.\n\n<script>window.__pwned='issue'</script>", labels: ["ngrok-gitops-drift"] } }));
  const key = (await call(fake, "GET", `/repos/${REPO}/actions/secrets/public-key`, { token: TOKEN })).json as { key_id: string; key: string };
  ok(await call(fake, "PUT", `/repos/${REPO}/actions/secrets/NGROK_AUTHTOKEN`, { token: TOKEN, body: { encrypted_value: await sealTo(key.key, "tok_SECRET_VALUE_never_shown"), key_id: key.key_id } }));
  browser = await launchBrowser();
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await github?.close();
});

describe("markdown renderer", () => {
  it("shows a pull request's reviews: who, the verdict and the commit", async () => {
    const res = await call(github.fake, "POST", `/__fake/tokens`, { body: { token: "ghp_ui_reviewer", login: "ui-reviewer" } });
    expect(res.status, res.text).toBe(201);
    const review = await call(github.fake, "POST", `/repos/${REPO}/pulls/1/reviews`, { token: "ghp_ui_reviewer", body: { event: "APPROVE" } });
    expect(review.status, review.text).toBe(200);
    const html = await (await fetch(`${github.url}/${REPO}/pull/1`)).text();
    expect(html).toMatch(/<li class="review" id="review-\d+"><strong>ui-reviewer<\/strong> <span class="ok">approved<\/span> on <code>[0-9a-f]{7}<\/code>/);
  });

  it("a merged pull request's page shows its merge commit's checks: what the apply did, or why it held", async () => {
    const fake = github.fake;
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("no repo");
    const head = (await fake.state.commit(repo, { branch: "held", files: { "credentials/b.yaml": "credentials: []\n" } })).sha;
    const pull = fake.state.upsertPullRequest(repo, { head_ref: "held", title: "Held one" });
    const merge = (await fake.state.commit(repo, { branch: "main", files: { "credentials/b.yaml": "credentials: []\n" } })).sha;
    const before = await (await fetch(`${github.url}/${REPO}/pull/${pull.number}`)).text();
    expect(before).not.toContain("Merge commit");
    fake.state.upsertPullRequest(repo, { number: pull.number, head_ref: "held", head_sha: head, state: "closed", merged: true, merge_commit_sha: merge });
    const check = await call(fake, "POST", `/repos/${REPO}/check-runs`, { token: TOKEN, body: { name: "ngrok-gitops/apply", head_sha: merge, status: "completed", conclusion: "action_required", output: { title: "Held: 1 credential approval missing", summary: "Nothing of it was applied." } } });
    expect(check.status, check.text).toBe(201);
    const html = await (await fetch(`${github.url}/${REPO}/pull/${pull.number}`)).text();
    expect(html).toContain(`<h2>Merge commit <code>${merge.slice(0, 7)}</code></h2>`);
    expect(html).toMatch(/<strong>ngrok-gitops\/apply<\/strong> · <span class="bad">action_required<\/span> · Held: 1 credential approval missing/);
  });

  it("keeps only http(s), mailto and relative links", () => {
    expect(safeHref("https://example.com/x")).toBe("https://example.com/x");
    expect(safeHref("/acme/infra/pull/1")).toBe("/acme/infra/pull/1");
    expect(safeHref("#frag")).toBe("#frag");
    for (const bad of ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/x"]) expect(safeHref(bad), bad).toBeNull();
  });

  it("prints raw HTML as text and hides HTML comments, as GitHub hides the sticky marker", () => {
    const html = renderMarkdown(COMMENT);
    expect(html).not.toContain("ngrok-gitops:plan");
    expect(html).not.toMatch(/<(script|img|iframe|details)\b/i);
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toMatch(/href="javascript/i);
    expect(html).toContain('<pre><code class="language-diff">');
  });
});

describe("web UI in Chromium", () => {
  it(
    "a pull request shows the sticky comment rendered, its checks with annotations at file:line and its statuses; nothing from a comment runs",
    async () => {
      const page = await open(`/${REPO}/pull/1`);
      const blocked: string[] = [];
      page.on("request", (r) => blocked.push(r.url()));
      expect(await page.locator("h1").innerText()).toBe("Add <ci-runners> #1");
      const comment = page.locator(".comment .markdown-body");
      // Rendered, not shown as source: a heading, bold text, a diff block and a link.
      expect(await comment.locator("h3").innerText()).toBe("ngrok-gitops plan for abc1234");
      expect(await comment.locator("strong").first().innerText()).toBe("Plan: 1 to create, 0 to update, 0 to delete.");
      expect(await comment.locator("pre code.language-diff").innerText()).toContain('+     description: "CI runners <b>"');
      expect(await comment.locator("blockquote a").getAttribute("href")).toBe("https://example.com/docs");
      // The marker is hidden; the hostile HTML is visible as text, and none of it became an element.
      const text = await comment.innerText();
      expect(text).not.toContain("ngrok-gitops:plan");
      expect(text).toContain(`<script>window.__pwned = "script"</script>`);
      expect(text).toContain(`<img src=x onerror=`);
      expect(await page.locator("main script, main img, main iframe, main details").count()).toBe(0);
      expect(await page.locator('a[href^="javascript" i]').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned ?? null)).toBeNull();
      // The Content-Security-Policy would stop a script even if a tag slipped through.
      const res = await page.request.get(`${github.url}/${REPO}/pull/1`);
      expect(res.headers()["content-security-policy"]).toContain("default-src 'none'");

      const check = page.locator(".check-run");
      expect(await check.locator(".head").innerText()).toContain("ngrok-gitops plan · failure · 2 errors in 1 spec file");
      const annotations = await check.locator(".annotation").allInnerTexts();
      expect(annotations[0]).toContain("credentials/a.yaml:3:18 failure acl[0]");
      expect(annotations[0]).toContain("bad rule <b>bind:</b>");
      expect(annotations[1]).toContain("credentials/a.yaml:7-8 warning");
      expect(await check.locator(".markdown-body strong").innerText()).toBe("Invalid specs");
      // The latest status per context only, as GitHub's merge box; its javascript: target is not a link.
      const statuses = await page.locator("table.statuses tr").allInnerTexts();
      expect(statuses).toHaveLength(2);
      expect(statuses[1]).toContain("ngrok-gitops\tfailure\t2 errors");
      expect(await page.locator("table.statuses a").count()).toBe(0);
      expect(blocked.filter((u) => !u.startsWith(github.url))).toEqual([]);
      await page.close();
    },
    TIMEOUT,
  );

  it(
    "the repository page lists pull requests, the drift issue, statuses and delivered secrets by name and time, never the value",
    async () => {
      const page = await open(`/${REPO}`);
      const body = await page.locator("main").innerText();
      expect(body).toContain("Add <ci-runners>");
      expect(body).toContain("ngrok-gitops: drift detected");
      const secrets = await page.locator("table.secrets tr").allInnerTexts();
      expect(secrets[1]).toMatch(/^NGROK_AUTHTOKEN\t\d{4}-\d\d-\d\dT[\d:]+Z\t\d{4}-/);
      const html = await page.content();
      expect(html).not.toContain("tok_SECRET_VALUE_never_shown");
      const encrypted = [...(github.fake.state.repo("acme", "infra")?.actions.secrets.values() ?? [])][0]?.encryptedValue ?? "";
      expect(encrypted).not.toBe("");
      expect(html).not.toContain(encrypted);

      await page.click("text=ngrok-gitops: drift detected");
      expect(page.url()).toBe(`${github.url}/${REPO}/issues/2`);
      expect(await page.locator(".markdown-body strong").innerText()).toBe("ci-runners");
      expect(await page.locator(".markdown-body").innerText()).toContain("<script>");
      expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned ?? null)).toBeNull();
      await page.close();
    },
    TIMEOUT,
  );

  it(
    "the index links every repository; the API still answers JSON beside the pages; unknown pages are 404",
    async () => {
      const page = await open("/");
      expect(await page.locator("main").innerText()).toContain("No Worker is connected");
      await page.click(`a[href="/${REPO}"]`);
      expect(await page.locator("h1").innerText()).toBe(REPO);
      const api = await fetch(`${github.url}/repos/${REPO}/pulls/1`, { headers: { "User-Agent": "t", Authorization: `token ${TOKEN}` } });
      expect(api.headers.get("content-type")).toContain("application/json");
      expect(((await api.json()) as { number: number }).number).toBe(1);
      const missing = await page.goto(`${github.url}/${REPO}/pull/99`);
      expect(missing?.status()).toBe(404);
      const worker = await page.goto(`${github.url}/-/worker`);
      expect(worker?.status()).toBe(200);
      await page.close();
    },
    TIMEOUT,
  );
});
