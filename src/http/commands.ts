// The issue_comment webhook: a new comment on a pull request that is a command (`/ngrok-gitops …`) becomes a command for the Durable Object; anything else is ignored.
import { parseCommand } from "../review/commands.js";
import type { CommandInput } from "../reconciler/commands.js";

export interface CommentPayload {
  action?: string;
  issue?: { number?: number; pull_request?: unknown };
  comment?: { id?: number; body?: string; user?: { login?: string; type?: string } };
  sender?: { login?: string; type?: string };
}

/** The command a delivery carries, or why it is ignored: edits and deletions, plain issues, bots (our own App's comments included), other comments. */
export function commandOf(payload: CommentPayload, delivery: string): { command: CommandInput } | { ignored: string } {
  if (payload.action !== "created") return { ignored: `issue_comment ${payload.action ?? ""}` };
  const pr = payload.issue?.number;
  if (payload.issue?.pull_request === undefined || payload.issue.pull_request === null || typeof pr !== "number") return { ignored: "issue_comment on an issue, not a pull request" };
  const actor = payload.comment?.user?.login ?? payload.sender?.login;
  if (payload.sender?.type === "Bot" || payload.comment?.user?.type === "Bot") return { ignored: "issue_comment by a bot" };
  const parsed = parseCommand(typeof payload.comment?.body === "string" ? payload.comment.body : "");
  if (!parsed || typeof actor !== "string" || actor === "") return { ignored: "issue_comment without a command" };
  return { command: { pr, actor, delivery, comment: typeof payload.comment?.id === "number" ? payload.comment.id : null, command: parsed.command, ...(parsed.command === "unknown" ? { word: parsed.word } : {}) } };
}
