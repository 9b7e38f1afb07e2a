// The CLI's files on disk: specs named by their real path (issue 17), the policy read from beside --dir or --policy.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatSpecError } from "../desired/errors.js";
import { loadSpecs } from "../desired/load.js";
import { readPolicySource } from "./repo-policy-source.js";
import { readSpecSources, shownPath } from "./sources.js";

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ngrok-gitops-files-"));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe("spec sources", () => {
  it("--dir ../other: errors carry the real path, not credentials/…", async () => {
    const root = await tree({ "other/team/a.yaml": "credentials:\n  - name: a\n    description: \"unclosed\n", "other/notes.md": "x", "project/README": "" });
    const sources = await readSpecSources(join(root, "other"), join(root, "project"));
    expect(sources.map((s) => s.path)).toEqual(["../other/team/a.yaml"]);
    const result = loadSpecs(sources, { ownerId: "o" });
    expect(result.ok ? [] : result.errors.map(formatSpecError)).toEqual([
      '../other/team/a.yaml:3:18: credentials[0].description: Missing closing quote: the string opened here with " never ends (it runs on to line 4, column 1)',
    ]);
    // The default folder reads as before.
    expect((await readSpecSources(join(root, "other"), root)).map((s) => s.path)).toEqual(["other/team/a.yaml"]);
  });

  it("a path far away is shown absolute, when that is shorter", () => {
    expect(shownPath("/srv/specs/a.yaml", "/home/me/work/deep/project")).toBe("/srv/specs/a.yaml");
    expect(shownPath("/home/me/work/specs/a.yaml", "/home/me/work/project")).toBe("../specs/a.yaml");
  });
});

describe("readPolicySource", () => {
  it("reads ngrok-gitops.policy.yaml beside the credentials folder, and none is no policy", async () => {
    const root = await tree({ "ngrok-gitops.policy.yaml": "max_lifetime: 90d\n", "credentials/a.yaml": "credentials: []\n", "bare/credentials/a.yaml": "credentials: []\n" });
    expect(await readPolicySource(join(root, "credentials"), undefined, root)).toEqual({ path: "ngrok-gitops.policy.yaml", content: "max_lifetime: 90d\n" });
    expect(await readPolicySource(join(root, "bare", "credentials"), undefined, root)).toBeNull();
  });

  it("--policy PATH must exist and be a file", async () => {
    const root = await tree({ "policies/strict.yaml": "require: [description]\n" });
    expect(await readPolicySource(join(root, "credentials"), join(root, "policies/strict.yaml"), root)).toEqual({ path: "policies/strict.yaml", content: "require: [description]\n" });
    await expect(readPolicySource(join(root, "credentials"), join(root, "policies/missing.yaml"), root)).rejects.toMatchObject({
      code: "CLI_POLICY_FILE",
      message: `no policy file at ${join(root, "policies/missing.yaml")} (--policy PATH names a ngrok-gitops.policy.yaml file)`,
    });
    await expect(readPolicySource(join(root, "credentials"), join(root, "policies"), root)).rejects.toMatchObject({ code: "CLI_POLICY_FILE" });
  });
});
