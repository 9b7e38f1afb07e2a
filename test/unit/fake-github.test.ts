// The fake GitHub answers like GitHub: auth checks, git objects with git's SHAs, PR feedback with GitHub's limits, faults and a request log.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { createFakeGitHub, type FakeGitHub } from "../../standins/github/app.js";
import { call, ORIGIN } from "../../standins/github/test-helpers.js";
import { buildPullRequestEvent } from "../../standins/github/webhooks.js";
import { uiResponse } from "../../standins/github/ui/index.js";
import { sealTo } from "../../src/github/sealed-box.js";

const TOKEN = "ghp_test_user_token";
const APP_TOKEN = "ghs_actions_like_token";
const REPO = "acme/infra";

interface Message {
  message: string;
  documentation_url: string;
  errors?: Array<{ resource: string; code: string; field: string; message?: string }>;
}

let fake: FakeGitHub;
let head: string;

beforeEach(async () => {
  fake = createFakeGitHub({
    tokens: [TOKEN, { token: APP_TOKEN, installation: true }],
    now: () => Date.parse("2026-01-02T03:04:05Z"),
  });
  await fake.state.createRepo({ fullName: REPO });
  const repo = fake.state.repo("acme", "infra");
  if (!repo) throw new Error("repo not created");
  head = (
    await fake.state.commit(repo, {
      branch: "main",
      files: { "README.md": "hello\n", "credentials/ci.yaml": "credentials:\n  - name: ci\n", "credentials/team/web.yml": "credentials: []\n" },
    })
  ).sha;
});

describe("authentication like GitHub", () => {
  it("refuses a request without a User-Agent with GitHub's 403 text", async () => {
    const res = await call(fake, "GET", `/repos/${REPO}`, { token: TOKEN, userAgent: null });
    expect(res.status).toBe(403);
    expect(res.text).toContain("Request forbidden by administrative rules. Please make sure your request has a User-Agent header");
  });

  it("answers 401 Bad credentials for an unknown token, with either scheme", async () => {
    for (const scheme of ["token", "Bearer"]) {
      const res = await call(fake, "GET", `/repos/${REPO}`, { token: "ghp_wrong", scheme });
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ message: "Bad credentials", documentation_url: expect.stringContaining("docs.github.com") });
    }
    expect((await call(fake, "GET", `/repos/${REPO}`, { token: TOKEN, scheme: "Bearer" })).status).toBe(200);
  });

  it("hides a private repository from anonymous callers (404) and refuses anonymous writes", async () => {
    expect((await call(fake, "GET", `/repos/${REPO}`)).status).toBe(404);
    await fake.state.createRepo({ fullName: "acme/public", private: false, files: { "a.txt": "a" } });
    expect((await call(fake, "GET", "/repos/acme/public")).status).toBe(200);
    const write = await call(fake, "POST", "/repos/acme/public/issues", { body: { title: "x" } });
    expect(write.status).toBe(401);
    expect((write.json as Message).message).toBe("Requires authentication");
  });

  it("answers 404 Not Found for unknown repositories, branches and blobs", async () => {
    expect((await call(fake, "GET", "/repos/acme/nope", { token: TOKEN })).json).toMatchObject({ message: "Not Found" });
    expect((await call(fake, "GET", `/repos/${REPO}/branches/nope`, { token: TOKEN })).status).toBe(404);
    expect((await call(fake, "GET", `/repos/${REPO}/git/blobs/${"0".repeat(40)}`, { token: TOKEN })).status).toBe(404);
    expect((await call(fake, "GET", `/repos/${REPO}/git/trees/nope`, { token: TOKEN })).status).toBe(404);
  });
});

describe("repository reads", () => {
  it("serves the repository, its default branch and a branch's commit", async () => {
    const repo = await call(fake, "GET", `/repos/${REPO}`, { token: TOKEN });
    expect(repo.json).toMatchObject({ full_name: REPO, default_branch: "main", private: true, owner: { login: "acme" } });
    const branch = await call(fake, "GET", `/repos/${REPO}/branches/main`, { token: TOKEN });
    expect(branch.json).toMatchObject({ name: "main", commit: { sha: head } });
    const commit = await call(fake, "GET", `/repos/${REPO}/commits/main`, { token: TOKEN });
    const body = commit.json as { sha: string; commit: { tree: { sha: string } }; files: Array<{ filename: string; status: string }> };
    expect(body.sha).toBe(head);
    expect(body.commit.tree.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(body.files.map((f) => f.status)).toEqual(["added", "added", "added"]);
  });

  it("answers 422 'No commit found for SHA' for an unknown ref, like GitHub", async () => {
    const res = await call(fake, "GET", `/repos/${REPO}/commits/does-not-exist`, { token: TOKEN });
    expect(res.status).toBe(422);
    expect((res.json as Message).message).toBe("No commit found for SHA: does-not-exist");
  });

  it("round-trips a recursive tree and its blobs with git's own SHAs", async () => {
    const tree = await call(fake, "GET", `/repos/${REPO}/git/trees/${head}?recursive=1`, { token: TOKEN });
    expect(tree.status).toBe(200);
    const body = tree.json as { sha: string; truncated: boolean; tree: Array<{ path: string; type: string; mode: string; sha: string; size?: number; url: string }> };
    expect(body.truncated).toBe(false);
    expect(body.tree.map((e) => `${e.type} ${e.mode} ${e.path}`)).toEqual([
      "blob 100644 README.md",
      "tree 040000 credentials",
      "blob 100644 credentials/ci.yaml",
      "tree 040000 credentials/team",
      "blob 100644 credentials/team/web.yml",
    ]);
    const readme = body.tree.find((e) => e.path === "README.md");
    // `printf 'hello\n' | git hash-object --stdin`
    expect(readme?.sha).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
    expect(readme?.size).toBe(6);
    expect(body.tree.find((e) => e.path === "credentials")?.size).toBeUndefined();

    const blob = await call(fake, "GET", `/repos/${REPO}/git/blobs/${readme?.sha ?? ""}`, { token: TOKEN });
    const b = blob.json as { sha: string; size: number; encoding: string; content: string };
    expect(b).toMatchObject({ sha: readme?.sha, size: 6, encoding: "base64", content: "aGVsbG8K\n" });
    expect(Buffer.from(b.content, "base64").toString()).toBe("hello\n");

    // The same files in a real git repository give the same root tree SHA.
    const dir = mkdtempSync(join(tmpdir(), "fake-github-git-"));
    mkdirSync(join(dir, "credentials", "team"), { recursive: true });
    writeFileSync(join(dir, "README.md"), "hello\n");
    writeFileSync(join(dir, "credentials", "ci.yaml"), "credentials:\n  - name: ci\n");
    writeFileSync(join(dir, "credentials", "team", "web.yml"), "credentials: []\n");
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "."], { cwd: dir });
    expect(body.sha).toBe(execFileSync("git", ["write-tree"], { cwd: dir }).toString().trim());
  });

  it("computes commit SHAs exactly as git commit-tree does", async () => {
    const commit = (await call(fake, "GET", `/repos/${REPO}/commits/${head}`, { token: TOKEN })).json as {
      commit: { tree: { sha: string }; message: string; author: { name: string; email: string } };
    };
    const dir = mkdtempSync(join(tmpdir(), "fake-github-commit-"));
    execFileSync("git", ["init", "-q"], { cwd: dir });
    // Make the tree object exist in this repository, then commit it with the fake's identity and time.
    writeFileSync(join(dir, "README.md"), "hello\n");
    mkdirSync(join(dir, "credentials", "team"), { recursive: true });
    writeFileSync(join(dir, "credentials", "ci.yaml"), "credentials:\n  - name: ci\n");
    writeFileSync(join(dir, "credentials", "team", "web.yml"), "credentials: []\n");
    execFileSync("git", ["add", "."], { cwd: dir });
    execFileSync("git", ["write-tree"], { cwd: dir });
    const date = "1767323045 +0000";
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: commit.commit.author.name,
      GIT_AUTHOR_EMAIL: commit.commit.author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: commit.commit.author.name,
      GIT_COMMITTER_EMAIL: commit.commit.author.email,
      GIT_COMMITTER_DATE: date,
    };
    const sha = execFileSync("git", ["commit-tree", commit.commit.tree.sha, "-m", commit.commit.message.trimEnd()], { cwd: dir, env })
      .toString()
      .trim();
    expect(sha).toBe(head);
  });

  it("resolves trees by branch name and by <commit>:<path>", async () => {
    const byBranch = await call(fake, "GET", `/repos/${REPO}/git/trees/main`, { token: TOKEN });
    const root = (await call(fake, "GET", `/repos/${REPO}/git/trees/${head}`, { token: TOKEN })).json as { sha: string };
    expect((byBranch.json as { sha: string }).sha).toBe(root.sha);
    const sub = await call(fake, "GET", `/repos/${REPO}/git/trees/${head}:credentials?recursive=1`, { token: TOKEN });
    expect((sub.json as { tree: Array<{ path: string }> }).tree.map((e) => e.path)).toEqual(["ci.yaml", "team", "team/web.yml"]);
  });

  it("carries files over from the parent commit and deletes on null", async () => {
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    const next = await fake.state.commit(repo, { branch: "feature/x", files: { "credentials/ci.yaml": null, "credentials/new.yaml": "credentials: []\n" } });
    expect(next).toMatchObject({ parent: head, added: ["credentials/new.yaml"], removed: ["credentials/ci.yaml"], modified: [] });
    const tree = await call(fake, "GET", `/repos/${REPO}/git/trees/feature/x?recursive=1`, { token: TOKEN });
    expect((tree.json as { tree: Array<{ path: string }> }).tree.map((e) => e.path)).toEqual([
      "README.md",
      "credentials",
      "credentials/new.yaml",
      "credentials/team",
      "credentials/team/web.yml",
    ]);
  });

  it("serves file contents at a ref, base64 wrapped at 60 characters like GitHub", async () => {
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    const long = "x".repeat(100);
    await fake.state.commit(repo, { branch: "main", files: { "credentials/long.yaml": long } });
    const res = await call(fake, "GET", `/repos/${REPO}/contents/credentials/long.yaml?ref=main`, { token: TOKEN });
    const file = res.json as { type: string; encoding: string; content: string; size: number };
    expect(file).toMatchObject({ type: "file", encoding: "base64", size: 100 });
    const lines = file.content.split("\n");
    expect(lines[0]).toHaveLength(60);
    expect(file.content.endsWith("\n")).toBe(true);
    expect(Buffer.from(file.content, "base64").toString()).toBe(long);
    const dir = await call(fake, "GET", `/repos/${REPO}/contents/credentials?ref=${head}`, { token: TOKEN });
    expect((dir.json as Array<{ name: string; type: string }>).map((e) => `${e.type}:${e.name}`)).toEqual(["file:ci.yaml", "dir:team"]);
  });
});

describe("pull request feedback", () => {
  async function openPr(): Promise<number> {
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    await fake.state.commit(repo, { branch: "change", files: { "credentials/x.yaml": "credentials: []\n" } });
    return fake.state.upsertPullRequest(repo, { head_ref: "change" }).number;
  }

  it("a pull request has the same fields in GET /pulls/:n as in a pull_request webhook, with the same URLs", async () => {
    const pr = await openPr();
    const rest = (await call(fake, "GET", `/repos/${REPO}/pulls/${pr}`, { token: TOKEN })).json as Record<string, unknown>;
    const headSha = (rest.head as { sha: string }).sha;
    const event = buildPullRequestEvent({ action: "opened", number: pr, repository: REPO, head: { sha: headSha, ref: "change" }, base: { sha: head, ref: "main" }, apiUrl: ORIGIN, htmlUrl: "https://github.com" });
    const hook = event.pull_request as unknown as Record<string, unknown>;
    expect(Object.keys(rest).sort()).toEqual(Object.keys(hook).sort());
    for (const key of Object.keys(hook).filter((k) => k.endsWith("_url") && k !== "avatar_url")) expect(rest[key], key).toBe(hook[key]);
    expect(rest._links).toEqual(hook._links);
    expect(rest).toMatchObject({ draft: false, mergeable_state: "unknown", requested_reviewers: [], labels: [], commits: 1 });
  });

  it("creates, lists (paginated with a Link header) and updates issue comments", async () => {
    const pr = await openPr();
    const created = await call(fake, "POST", `/repos/${REPO}/issues/${pr}/comments`, { token: APP_TOKEN, body: { body: "plan v1" } });
    expect(created.status).toBe(201);
    const comment = created.json as { id: number; body: string; user: { login: string; type: string } };
    expect(comment).toMatchObject({ body: "plan v1", user: { login: "github-actions[bot]", type: "Bot" } });
    for (let i = 0; i < 3; i++) await call(fake, "POST", `/repos/${REPO}/issues/${pr}/comments`, { token: TOKEN, body: { body: `other ${i}` } });

    const page1 = await call(fake, "GET", `/repos/${REPO}/issues/${pr}/comments?per_page=3`, { token: TOKEN });
    expect((page1.json as unknown[]).length).toBe(3);
    const link = page1.headers.get("link") ?? "";
    expect(link).toMatch(/<[^>]*page=2[^>]*>; rel="next"/);
    expect(link).toMatch(/rel="last"/);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? "";
    const page2 = await call(fake, "GET", new URL(next).pathname + new URL(next).search, { token: TOKEN });
    expect((page2.json as Array<{ body: string }>).map((c) => c.body)).toEqual(["other 2"]);
    expect(page2.headers.get("link")).toMatch(/rel="prev"/);

    const updated = await call(fake, "PATCH", `/repos/${REPO}/issues/comments/${comment.id}`, { token: APP_TOKEN, body: { body: "plan v2" } });
    expect(updated.status).toBe(200);
    expect(fake.view(REPO).comments.find((c) => c.id === comment.id)?.body).toBe("plan v2");
  });

  it("rejects a comment body over 65536 characters with GitHub's 422", async () => {
    const pr = await openPr();
    const ok = await call(fake, "POST", `/repos/${REPO}/issues/${pr}/comments`, { token: TOKEN, body: { body: "a".repeat(65536) } });
    expect(ok.status).toBe(201);
    const res = await call(fake, "POST", `/repos/${REPO}/issues/${pr}/comments`, { token: TOKEN, body: { body: "a".repeat(65537) } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      message: "Validation Failed",
      errors: [{ resource: "IssueComment", field: "data", message: "Body is too long (maximum is 65536 characters)" }],
    });
    expect((await call(fake, "POST", `/repos/${REPO}/issues/999/comments`, { token: TOKEN, body: { body: "x" } })).status).toBe(404);
  });

  it("creates a check run, rejects more than 50 annotations per request, and appends them on update", async () => {
    const annotation = (line: number) => ({ path: "credentials/ci.yaml", start_line: line, end_line: line, annotation_level: "failure", message: `bad ${line}` });
    const created = await call(fake, "POST", `/repos/${REPO}/check-runs`, {
      token: APP_TOKEN,
      body: { name: "ngrok-gitops", head_sha: head, status: "in_progress", output: { title: "Plan", summary: "…", annotations: [annotation(1)] } },
    });
    expect(created.status).toBe(201);
    const run = created.json as { id: number; status: string; conclusion: null; output: { annotations_count: number } };
    expect(run).toMatchObject({ status: "in_progress", conclusion: null, output: { annotations_count: 1 } });

    const tooMany = await call(fake, "PATCH", `/repos/${REPO}/check-runs/${run.id}`, {
      token: APP_TOKEN,
      body: { output: { title: "Plan", summary: "s", annotations: Array.from({ length: 51 }, (_, i) => annotation(i + 1)) } },
    });
    expect(tooMany.status).toBe(422);
    expect((tooMany.json as Message).message).toBe("Invalid request.\n\nNo more than 50 items are allowed; 51 were supplied.");

    const fifty = Array.from({ length: 50 }, (_, i) => annotation(i + 2));
    const done = await call(fake, "PATCH", `/repos/${REPO}/check-runs/${run.id}`, {
      token: APP_TOKEN,
      body: { conclusion: "failure", output: { title: "Plan", summary: "2 errors", annotations: fifty } },
    });
    expect(done.json).toMatchObject({ status: "completed", conclusion: "failure", output: { annotations_count: 51, summary: "2 errors" } });
    expect(fake.view(REPO).check_runs[0]?.annotations).toHaveLength(51);
    const listed = await call(fake, "GET", `/repos/${REPO}/commits/${head}/check-runs`, { token: TOKEN });
    expect(listed.json).toMatchObject({ total_count: 1, check_runs: [{ id: run.id, conclusion: "failure" }] });
  });

  it("rejects a check run summary over 65535 bytes and a personal token writing check runs", async () => {
    const big = await call(fake, "POST", `/repos/${REPO}/check-runs`, {
      token: APP_TOKEN,
      body: { name: "x", head_sha: head, output: { title: "t", summary: "é".repeat(32768) } },
    });
    expect(big.status).toBe(422);
    expect((big.json as Message).errors?.[0]).toMatchObject({ field: "summary", message: "summary exceeds a maximum bytesize of 65535" });
    const asUser = await call(fake, "POST", `/repos/${REPO}/check-runs`, { token: TOKEN, body: { name: "x", head_sha: head } });
    expect(asUser.status).toBe(403);
    expect((asUser.json as Message).message).toBe("You must authenticate via a GitHub App.");
    const unknownSha = await call(fake, "POST", `/repos/${REPO}/check-runs`, { token: APP_TOKEN, body: { name: "x", head_sha: "f".repeat(40) } });
    expect(unknownSha.status).toBe(422);
  });

  it("records commit statuses and rejects unknown SHAs and long descriptions", async () => {
    const ok = await call(fake, "POST", `/repos/${REPO}/statuses/${head}`, {
      token: TOKEN,
      body: { state: "success", context: "ngrok-gitops", description: "no changes" },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ state: "success", context: "ngrok-gitops", creator: { login: "octocat" } });
    expect((await call(fake, "POST", `/repos/${REPO}/statuses/${"a".repeat(40)}`, { token: TOKEN, body: { state: "success" } })).status).toBe(422);
    const long = await call(fake, "POST", `/repos/${REPO}/statuses/${head}`, { token: TOKEN, body: { state: "failure", description: "d".repeat(141) } });
    expect(long.status).toBe(422);
    const combined = await call(fake, "GET", `/repos/${REPO}/commits/main/status`, { token: TOKEN });
    expect(combined.json).toMatchObject({ state: "success", total_count: 1 });
    expect(fake.view(REPO).statuses).toHaveLength(1);
  });
});

describe("drift issue", () => {
  it("opens, finds by label and creator, and closes one issue", async () => {
    const created = await call(fake, "POST", `/repos/${REPO}/issues`, {
      token: APP_TOKEN,
      body: { title: "Drift detected", body: "details", labels: ["ngrok-drift"] },
    });
    expect(created.status).toBe(201);
    const issue = created.json as { number: number; labels: Array<{ name: string }> };
    expect(issue.labels.map((l) => l.name)).toEqual(["ngrok-drift"]);
    await call(fake, "POST", `/repos/${REPO}/issues`, { token: TOKEN, body: { title: "Unrelated", labels: ["ngrok-drift"] } });

    const found = await call(fake, "GET", `/repos/${REPO}/issues?state=open&labels=ngrok-drift&creator=github-actions%5Bbot%5D`, { token: TOKEN });
    expect((found.json as Array<{ number: number }>).map((i) => i.number)).toEqual([issue.number]);

    const closed = await call(fake, "PATCH", `/repos/${REPO}/issues/${issue.number}`, { token: APP_TOKEN, body: { state: "closed", body: "resolved" } });
    expect(closed.json).toMatchObject({ state: "closed", state_reason: "completed", body: "resolved" });
    const open = await call(fake, "GET", `/repos/${REPO}/issues?labels=ngrok-drift`, { token: TOKEN });
    expect((open.json as Array<{ title: string }>).map((i) => i.title)).toEqual(["Unrelated"]);
    expect((await call(fake, "POST", `/repos/${REPO}/issues`, { token: TOKEN, body: { body: "no title" } })).status).toBe(422);
  });
});

describe("actions secrets", () => {
  const getKey = async (path = `/repos/${REPO}/actions/secrets`) =>
    (await call(fake, "GET", `${path}/public-key`, { token: TOKEN })).json as { key_id: string; key: string };

  it("serves a real X25519 public key, decrypts what it receives with libsodium: 201 created, 204 updated, 204 deleted", async () => {
    const key = await getKey();
    expect(Buffer.from(key.key, "base64")).toHaveLength(32);
    const put = async (value: string) =>
      call(fake, "PUT", `/repos/${REPO}/actions/secrets/NGROK_AUTHTOKEN`, { token: TOKEN, body: { encrypted_value: await sealTo(key.key, value), key_id: key.key_id } });
    expect((await put("first-token")).status).toBe(201);
    expect(fake.view(REPO).secrets.actions).toMatchObject([{ name: "NGROK_AUTHTOKEN", key_id: key.key_id }]);
    expect(fake.openedSecret({ repo: REPO }, "NGROK_AUTHTOKEN")).toBe("first-token");
    expect((await put("second-token")).status).toBe(204);
    expect(fake.openedSecret({ repo: REPO }, "NGROK_AUTHTOKEN")).toBe("second-token");
    const list = await call(fake, "GET", `/repos/${REPO}/actions/secrets`, { token: TOKEN });
    expect(list.json).toMatchObject({ total_count: 1, secrets: [{ name: "NGROK_AUTHTOKEN" }] });
    expect(list.text).not.toContain("second-token");
    const noKey = await call(fake, "PUT", `/repos/${REPO}/actions/secrets/X`, { token: TOKEN, body: { encrypted_value: await sealTo(key.key, "t") } });
    expect((noKey.json as Message).message).toBe('Invalid request.\n\n"key_id" wasn\'t supplied.');
    expect((await call(fake, "DELETE", `/repos/${REPO}/actions/secrets/NGROK_AUTHTOKEN`, { token: TOKEN })).status).toBe(204);
    expect((await call(fake, "DELETE", `/repos/${REPO}/actions/secrets/NGROK_AUTHTOKEN`, { token: TOKEN })).status).toBe(404);
  });

  it("refuses with 422 a box that does not open, one sealed to another key, a stale key_id and non-base64", async () => {
    const key = await getKey();
    await fake.state.createRepo({ fullName: "acme/other" });
    const other = await getKey("/repos/acme/other/actions/secrets");
    const put = (encrypted_value: string, key_id = key.key_id) =>
      call(fake, "PUT", `/repos/${REPO}/actions/secrets/TOKEN`, { token: TOKEN, body: { encrypted_value, key_id } });
    const garbage = await put(Buffer.alloc(60, 7).toString("base64"));
    expect(garbage.status).toBe(422);
    expect((garbage.json as Message).message).toBe("Invalid request.\n\nencrypted_value could not be decrypted with the public key of key_id.");
    expect((await put(await sealTo(other.key, "meant for acme/other"))).status).toBe(422);
    const tampered = Buffer.from(await sealTo(key.key, "token"), "base64");
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect((await put(tampered.toString("base64"))).status).toBe(422);
    expect((await put(await sealTo(key.key, "token"), other.key_id)).status).toBe(422);
    expect(((await put("not base64!")).json as Message).message).toBe("Invalid request.\n\nencrypted_value must be a Base64-encoded libsodium sealed box.");
    expect((await put(await sealTo(key.key, "x".repeat(48 * 1024 + 1)))).status).toBe(422);
    expect(fake.view(REPO).secrets.actions).toEqual([]);
    expect((await put(await sealTo(key.key, "x".repeat(48 * 1024)))).status).toBe(201);
  });

  it("never shows a secret's value in a JSON answer or a page; a test's own key opens what arrived", async () => {
    const ownKey = Buffer.alloc(32, 9).toString("base64");
    const installed = (await call(fake, "POST", `/__fake/repos/${REPO}/secrets/rotate-key`, { body: { private_key: ownKey } })).json as { key_id: string; key: string };
    const value = "plaintext-token-0123456789";
    const sealed = await sealTo(installed.key, value);
    expect((await call(fake, "PUT", `/repos/${REPO}/actions/secrets/SHOWN`, { token: TOKEN, body: { encrypted_value: sealed, key_id: installed.key_id } })).status).toBe(201);
    for (const path of [`/__fake/repos/${REPO}`, "/__fake/state", `/repos/${REPO}/actions/secrets`, `/repos/${REPO}/actions/secrets/SHOWN`]) {
      const answer = await call(fake, "GET", path, { token: TOKEN });
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(value);
    }
    expect(fake.view(REPO).secrets.actions).toMatchObject([{ name: "SHOWN", encrypted_value: sealed, key_id: installed.key_id }]);
    // The page of the repository (the read-only UI) lists names and times only.
    expect((await uiResponse(fake, new Request(`${ORIGIN}/${REPO}`)))?.status).toBe(200);
    expect(await (await uiResponse(fake, new Request(`${ORIGIN}/${REPO}`)))?.text()).not.toContain(value);
    expect(fake.openedSecret({ repo: REPO }, "SHOWN")).toBe(value);
    expect((await call(fake, "POST", `/__fake/repos/${REPO}/secrets/rotate-key`, { body: { private_key: "c2hvcnQ=" } })).status).toBe(422);
  });

  it("rotates a key on request: the old key_id is refused, the new one accepted, stored secrets kept", async () => {
    const old = await getKey();
    const seal = await sealTo(old.key, "before rotation");
    expect((await call(fake, "PUT", `/repos/${REPO}/actions/secrets/A`, { token: TOKEN, body: { encrypted_value: seal, key_id: old.key_id } })).status).toBe(201);
    const rotated = (await call(fake, "POST", `/__fake/repos/${REPO}/secrets/rotate-key`, { body: {} })).json as { key_id: string; key: string };
    expect(rotated.key_id).not.toBe(old.key_id);
    expect(await getKey()).toEqual(rotated);
    const stale = await call(fake, "PUT", `/repos/${REPO}/actions/secrets/B`, { token: TOKEN, body: { encrypted_value: await sealTo(old.key, "x"), key_id: old.key_id } });
    expect(stale.status).toBe(422);
    const fresh = await call(fake, "PUT", `/repos/${REPO}/actions/secrets/B`, { token: TOKEN, body: { encrypted_value: await sealTo(rotated.key, "after"), key_id: rotated.key_id } });
    expect(fresh.status).toBe(201);
    expect(["A", "B"].map((name) => fake.openedSecret({ repo: REPO }, name))).toEqual(["before rotation", "after"]);
  });

  it("keeps environment secrets apart, with their own key pair, and 404s an unknown environment", async () => {
    const repo = fake.state.repo("acme", "infra");
    if (!repo) throw new Error("repo");
    fake.state.createEnvironment(repo, "production");
    const key = await getKey(`/repos/${REPO}/environments/production/secrets`);
    const repoKey = await getKey();
    expect(key.key).not.toBe(repoKey.key);
    const put = await call(fake, "PUT", `/repos/${REPO}/environments/production/secrets/TOKEN`, { token: TOKEN, body: { encrypted_value: await sealTo(key.key, "prod-token"), key_id: key.key_id } });
    expect(put.status).toBe(201);
    expect(fake.view(REPO).secrets).toMatchObject({ actions: [], environments: { production: [{ name: "TOKEN" }] } });
    expect(fake.openedSecret({ repo: REPO, environment: "production" }, "TOKEN")).toBe("prod-token");
    const wrongStore = await call(fake, "PUT", `/repos/${REPO}/environments/production/secrets/T2`, { token: TOKEN, body: { encrypted_value: await sealTo(repoKey.key, "x"), key_id: key.key_id } });
    expect(wrongStore.status).toBe(422);
    expect((await call(fake, "GET", `/repos/${REPO}/environments/staging/secrets/public-key`, { token: TOKEN })).status).toBe(404);
  });
});

describe("faults and the request log", () => {
  it("fails matching requests the configured number of times, then recovers", async () => {
    const add = await call(fake, "POST", "/__fake/faults", { body: { method: "GET", path: `/repos/${REPO}/git/trees`, status: 502, times: 2 } });
    expect(add.status).toBe(201);
    const url = `/repos/${REPO}/git/trees/${head}?recursive=1`;
    expect((await call(fake, "GET", url, { token: TOKEN })).status).toBe(502);
    expect((await call(fake, "GET", `/repos/${REPO}`, { token: TOKEN })).status).toBe(200);
    expect((await call(fake, "GET", url, { token: TOKEN })).status).toBe(502);
    expect((await call(fake, "GET", url, { token: TOKEN })).status).toBe(200);
  });

  it("logs every API call with status, User-Agent and auth presence, never the credential", async () => {
    await call(fake, "GET", `/repos/${REPO}`, { token: TOKEN });
    await call(fake, "GET", `/repos/${REPO}`, { userAgent: null });
    await call(fake, "GET", `/repos/${REPO}`, { token: "nope" });
    const log = (await call(fake, "GET", "/__fake/requests")).json as Array<Record<string, unknown>>;
    expect(log.map((r) => [r["status"], r["userAgent"], r["auth"], r["identity"]])).toEqual([
      [200, true, "token", "octocat"],
      [403, false, "none", null],
      [401, true, "token", null],
    ]);
    expect(JSON.stringify(log)).not.toContain(TOKEN);
  });

  it("drives repositories, commits and pull requests over the control API", async () => {
    const created = await call(fake, "POST", "/__fake/repos", { body: { full_name: "acme/other", files: { "credentials/a.yaml": "credentials: []\n" } } });
    expect(created.status).toBe(201);
    const commit = await call(fake, "POST", "/__fake/repos/acme/other/commits", { body: { branch: "pr", files: { "credentials/b.yaml": "credentials: []\n" } } });
    const sha = (commit.json as { sha: string; added: string[] }).sha;
    expect((commit.json as { added: string[] }).added).toEqual(["credentials/b.yaml"]);
    const pr = await call(fake, "POST", "/__fake/repos/acme/other/pulls", { body: { head_ref: "pr", base_ref: "main" } });
    expect(pr.json).toMatchObject({ number: 1, head: { sha, ref: "pr" }, base: { ref: "main" } });
    const read = await call(fake, "GET", "/repos/acme/other/pulls/1", { token: TOKEN });
    expect(read.json).toMatchObject({ head: { sha } });
    const view = (await call(fake, "GET", "/__fake/repos/acme/other")).json as { pulls: Array<{ head_sha: string }> };
    expect(view.pulls[0]?.head_sha).toBe(sha);
  });
});
