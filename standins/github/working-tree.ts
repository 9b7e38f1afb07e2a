// Snapshots a local checkout's `credentials/**` into a commit on the fake repository's default branch or another branch (Node; used by `npm start` on each reload and for its pull requests).
import { readdir, readFile } from "node:fs/promises";
import { join, sep } from "node:path";
import type { FakeGitHub } from "./app.js";
import type { CommitResult, FileEntry } from "./state.js";

export interface SnapshotOptions {
  /** The checkout's root (the folder holding `credentials/`). */
  readonly dir: string;
  /** `owner/name`; created (private, default branch `main`) when the fake does not have it yet. */
  readonly repository: string;
  /** Folder to snapshot, relative to `dir`; default `credentials`. */
  readonly folder?: string;
  readonly message?: string;
  /** Default the repository's default branch; a new branch starts from the default branch's head. */
  readonly branch?: string;
  /** Files outside the folder every snapshot holds too (repository path → content), e.g. a policy file and CODEOWNERS. */
  readonly extra?: Readonly<Record<string, string>>;
}

export interface SnapshotResult {
  /** Head of the branch after the snapshot. */
  readonly sha: string;
  /** False when the files equal the current head's: no commit was made. */
  readonly changed: boolean;
  /** The new commit (with added/modified/removed, to build a push event), when one was made. */
  readonly commit: CommitResult | null;
}

/** Regular files under `root/folder`, as repository paths (`/`-separated, relative to `root`), sorted. */
async function listFiles(root: string, folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (relativeDir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, relativeDir), { withFileTypes: true });
    } catch (err) {
      // No credentials folder yet is an empty repository, not an error.
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && relativeDir === folder) return;
      throw err;
    }
    for (const entry of entries) {
      const path = `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  await walk(folder.split(sep).join("/").replace(/^\.\/|\/+$/g, ""));
  return out.sort();
}

export async function snapshotWorkingTree(fake: FakeGitHub, options: SnapshotOptions): Promise<SnapshotResult> {
  const [owner = "", name = ""] = options.repository.split("/");
  const repo = fake.state.repo(owner, name) ?? (await fake.state.createRepo({ fullName: options.repository }));
  const paths = await listFiles(options.dir, options.folder ?? "credentials");
  const files: Record<string, Uint8Array> = {};
  for (const path of paths) files[path] = new Uint8Array(await readFile(join(options.dir, path)));
  for (const [path, content] of Object.entries(options.extra ?? {})) files[path] = new TextEncoder().encode(content);

  // Same tree as the current head means nothing changed: no empty commit, no spurious push.
  const entries = new Map<string, FileEntry>();
  for (const [path, content] of Object.entries(files)) entries.set(path, { sha: await repo.writeBlob(content), mode: "100644" });
  const tree = await repo.writeTree(entries);
  const branch = options.branch ?? repo.defaultBranch;
  const head = repo.branches.get(branch) ?? repo.branches.get(repo.defaultBranch);
  if (head !== undefined && repo.commits.get(head)?.tree === tree) return { sha: head, changed: false, commit: null };

  const commit = await fake.state.commit(repo, {
    branch,
    files,
    replace: true,
    message: options.message ?? "Snapshot of the working tree",
  });
  return { sha: commit.sha, changed: true, commit };
}
