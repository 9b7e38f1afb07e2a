// The GitHub facts and writes a pull request command needs: the pull request's head, the commenter's permission, the reply.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";

/** The pull request's state and current head (the commit an allow-deletes approval is bound to). */
export async function pullHeadOf(github: GitHubClient, repository: string, pr: number): Promise<{ open: boolean; head: string }> {
  const pull = await github.request<{ state?: string; head?: { sha?: string } }>("GET", `${repoPath(repository)}/pulls/${pr}`);
  const head = pull?.head?.sha;
  if (typeof head !== "string" || !/^[0-9a-f]{40}$/i.test(head)) throw new GitHubApiError("GET", `${repoPath(repository)}/pulls/${pr}`, 502, "no head commit in the answer");
  return { open: pull.state === "open", head: head.toLowerCase() };
}

/** `user`'s permission on the repository (admin, write, read, none); null when GitHub knows no such user (404). */
export async function collaboratorPermission(github: GitHubClient, repository: string, user: string): Promise<string | null> {
  try {
    const answer = await github.request<{ permission?: string; role_name?: string }>("GET", `${repoPath(repository)}/collaborators/${encodeURIComponent(user)}/permission`);
    // role_name says maintain where permission says write; either way it is write access.
    return answer?.role_name === "maintain" ? "maintain" : typeof answer?.permission === "string" ? answer.permission : null;
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return null;
    throw error;
  }
}

/** A new comment on the pull request (the reply to a command; never the sticky plan comment). */
export async function replyOn(github: GitHubClient, repository: string, pr: number, body: string): Promise<void> {
  await github.request("POST", `${repoPath(repository)}/issues/${pr}/comments`, { body });
}
