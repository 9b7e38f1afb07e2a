// Invalid specs for GitHub: the comment/check markdown and the line annotations, with everything quoted from a spec made inert.
import { fieldLabel, type SpecError } from "../desired/errors.js";
import { utf8Bytes } from "../ownership/marker.js";
import { code, showHidden } from "./inert.js";
import { fitWithin, lineCost } from "./render.js";

/** The shape GitHub's check-run annotations take (github/feedback.ts's Annotation). */
export interface ErrorAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "failure";
  title: string;
  message: string;
}

/** Annotations a check carries at most (4 requests of 50): past that the summary lists the rest by count. */
export const MAX_ERROR_ANNOTATIONS = 200;

/**
 * The invalid-spec comment. An error's file, field and message may quote keys and values of the spec (a key
 * can hold newlines, `@` mentions, links, bidi controls): each sits in its own code span, so none renders.
 */
export function renderInvalidMarkdown(errors: readonly SpecError[], title: string, options: { marker?: string; maxBytes?: number; notes?: readonly string[] } = {}): string {
  // In UTF-8 bytes, as GitHub counts a check (a comment's characters are never more).
  const maxBytes = options.maxBytes ?? 60_000;
  const head = [...(options.marker ? [options.marker] : []), `### ${showHidden(title)}`, "", "**The specs are invalid: nothing will be applied.**", ""];
  // Notes (a pull request that changes the policy) come first and are fitted first: a reviewer sees them whatever fails.
  const notes = fitWithin((options.notes ?? []).map((note) => `> ${code(note)}`), maxBytes - utf8Bytes(head.join("\n")) - 400, lineCost);
  if (notes.shown.length > 0) head.push(...notes.shown);
  if (notes.hidden > 0) head.push(`> …and ${notes.hidden} more notes not shown here (GitHub's size limit).`);
  if ((options.notes ?? []).length > 0) head.push("");
  const shown = errors.map((e) => `- ${code(`${e.file}:${e.line}:${e.column}`)} ${e.field ? `${code(fieldLabel(e))}: ` : ""}${code(e.message)}`);
  const fitted = fitWithin(shown, notes.room, lineCost);
  const lines = fitted.shown;
  if (fitted.hidden > 0) lines.push(`- …and ${fitted.hidden} more not shown here (GitHub's size limit); the operator's run record lists them all.`);
  return `${[...head, ...lines].join("\n")}\n`;
}

/** Check annotations for the errors: plain text on GitHub, but hidden characters are shown escaped there too. */
export function specErrorAnnotations(errors: readonly SpecError[], max = MAX_ERROR_ANNOTATIONS): ErrorAnnotation[] {
  return errors.slice(0, max).map((e) => ({
    path: e.file,
    start_line: e.line,
    end_line: e.line,
    annotation_level: "failure",
    title: showHidden(fieldLabel(e) || e.code).slice(0, 255),
    message: showHidden(e.message).slice(0, 64 * 1024 - 1),
  }));
}
