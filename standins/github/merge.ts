// Merging a pull request on the fake: the base branch gets a merge commit with the head's tree, and the pull request closes as merged (as GitHub's merge button does).
import type { FakeGitHub } from "./app.js";
import type { CommitResult, IssueRecord } from "./state.js";

export interface MergeResult {
  readonly pull: IssueRecord;
  /** The merge commit on the base branch, with what a push event needs. */
  readonly commit: CommitResult;
}

/** Merges open pull request `number` of `repository` (`owner/name`); throws a message for a person when it cannot. */
export async function mergePullRequest(fake: FakeGitHub, repository: string, number: number): Promise<MergeResult> {
  const [owner = "", name = ""] = repository.split("/");
  const repo = fake.state.repo(owner, name);
  const pull = repo?.issues.get(number);
  if (!repo || !pull?.pull) throw new Error(`no pull request #${number} in ${repository}`);
  if (pull.state !== "open") throw new Error(`pull request #${number} is ${pull.pull.merged ? "already merged" : "closed"}`);
  const head = repo.commits.get(pull.pull.headSha);
  if (!head) throw new Error(`pull request #${number}: head commit ${pull.pull.headSha} is missing`);
  const files: Record<string, Uint8Array> = {};
  for (const [path, entry] of repo.flatten(head.tree)) {
    const blob = repo.blobs.get(entry.sha);
    if (blob) files[path] = blob;
  }
  const commit = await fake.state.commit(repo, {
    branch: pull.pull.baseRef,
    files,
    replace: true,
    message: `Merge pull request #${number} from ${pull.pull.headRef}\n\n${pull.title}`,
  });
  const merged = fake.state.upsertPullRequest(repo, { number, head_ref: pull.pull.headRef, head_sha: pull.pull.headSha, state: "closed", merged: true, merge_commit_sha: commit.sha });
  return { pull: merged, commit };
}
