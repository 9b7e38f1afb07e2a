// The fake GitHub over real HTTP on loopback, and the working-tree snapshot `npm start` uses.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeGitHubPortInUseError, startFakeGitHub, type StartedFakeGitHub } from "../../standins/github/server.js";
import { snapshotWorkingTree } from "../../standins/github/working-tree.js";

const started: StartedFakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

describe("startFakeGitHub", () => {
  it("serves on an ephemeral loopback port and reports a taken port clearly", async () => {
    const server = await startFakeGitHub({ port: 0, tokens: ["t"], repos: [{ fullName: "acme/infra", files: { "x.txt": "x" } }] });
    started.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/repos/acme/infra`, { headers: { "user-agent": "test", authorization: "token t" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe(`${server.url}/repos/acme/infra`);
    const port = Number(new URL(server.url).port);
    await expect(startFakeGitHub({ port })).rejects.toBeInstanceOf(FakeGitHubPortInUseError);
    await expect(startFakeGitHub({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
  });
});

describe("snapshotWorkingTree", () => {
  it("commits credentials/** only when it changed, carrying deletions", async () => {
    const server = await startFakeGitHub({ port: 0, tokens: ["t"] });
    started.push(server);
    const dir = mkdtempSync(join(tmpdir(), "fake-github-wt-"));
    mkdirSync(join(dir, "credentials", "team"), { recursive: true });
    writeFileSync(join(dir, "credentials", "a.yaml"), "credentials: []\n");
    writeFileSync(join(dir, "credentials", "team", "b.yaml"), "credentials: []\n");
    writeFileSync(join(dir, "README.md"), "not served\n");

    const first = await snapshotWorkingTree(server.fake, { dir, repository: "acme/infra" });
    expect(first.changed).toBe(true);
    expect(first.commit?.added).toEqual(["credentials/a.yaml", "credentials/team/b.yaml"]);
    const again = await snapshotWorkingTree(server.fake, { dir, repository: "acme/infra" });
    expect(again).toEqual({ sha: first.sha, changed: false, commit: null });

    rmSync(join(dir, "credentials", "team", "b.yaml"));
    writeFileSync(join(dir, "credentials", "a.yaml"), "credentials:\n  - name: x\n");
    const second = await snapshotWorkingTree(server.fake, { dir, repository: "acme/infra" });
    expect(second.commit).toMatchObject({ parent: first.sha, modified: ["credentials/a.yaml"], removed: ["credentials/team/b.yaml"] });

    const tree = await fetch(`${server.url}/repos/acme/infra/git/trees/main?recursive=1`, { headers: { "user-agent": "test", authorization: "token t" } });
    const paths = ((await tree.json()) as { tree: Array<{ path: string }> }).tree.map((e) => e.path);
    expect(paths).toEqual(["credentials", "credentials/a.yaml"]);
  });
});
