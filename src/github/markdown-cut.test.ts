// A cut comment renders no link or mention that was inert before the cut: line boundaries, closed blocks, paired spans.
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { code, codeBlock } from "../plan/inert.js";
import { cutMarkdown } from "./markdown-cut.js";

const NOTE = "\n\n…(cut)";
const chars = (s: string) => s.length;

/** What GitHub would make live: links, and @mentions outside code (marked renders GFM autolinks as GitHub does). */
export function liveMarkup(markdown: string): string[] {
  const html = marked.parse(markdown, { gfm: true, async: false });
  const outside = html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, "");
  return [...(outside.match(/<a\b[^>]*>/g) ?? []), ...(outside.match(/@[A-Za-z0-9][\w-]*/g) ?? [])];
}

const hostile = (i: number) => `"www.evil-example-${i}.com" cannot import cr_${i}: ask @acme/security-team`;
const comment = [
  "<!-- ngrok-gitops:plan -->",
  "### ngrok-gitops plan for 1234567",
  "",
  "**Refused: nothing will be applied.**",
  "",
  ...Array.from({ length: 40 }, (_, i) => `- ⛔ ${code("IMPORT_REFUSED")} ${code(hostile(i))}`),
  "",
  codeBlock(Array.from({ length: 40 }, (_, i) => `+ ${hostile(i)}`), "diff"),
  "",
  ...Array.from({ length: 10 }, (_, i) => `> ${code(hostile(i))}`),
  "",
].join("\n");

describe("cutMarkdown", () => {
  it("the whole comment renders nothing live; a naive cut does, somewhere", () => {
    expect(liveMarkup(comment)).toEqual([]);
    const naive = Array.from({ length: Math.ceil(comment.length / 97) }, (_, i) => comment.slice(0, i * 97)).filter((cut) => liveMarkup(cut).length > 0);
    expect(naive.length).toBeGreaterThan(0);
  });

  it("cut at lengths across the whole comment, it fits, keeps whole lines, and renders no link or mention", () => {
    for (let max = NOTE.length; max < comment.length + 10; max += 61) {
      const cut = cutMarkdown(comment, max, chars, NOTE);
      expect(cut.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(liveMarkup(cut), `max ${max}`).toEqual([]);
      if (max < comment.length) {
        expect(cut.endsWith(NOTE)).toBe(true);
        const body = cut.slice(0, -NOTE.length).split("\n");
        // Every line is one of the comment's, except a fence added to close the block.
        for (const line of body) expect(comment.split("\n")).toContain(line);
      } else expect(cut).toBe(comment);
    }
  });

  it("closes a fenced block it cuts, with the block's own fence", () => {
    const text = ["intro", "````diff", "+ a ``` b", "+ www.x.com", "+ c", "````", "after"].join("\n");
    expect(cutMarkdown(text, 40, chars, NOTE)).toBe(["intro", "````diff", "+ a ``` b", "````"].join("\n") + NOTE);
  });

  it("drops a paragraph whose code span would cross the cut", () => {
    const text = ["first", "", "a `span that goes", "on www.evil-example.com", "and ends` here", "", "tail"].join("\n");
    const cut = cutMarkdown(text, 55, chars, NOTE);
    expect(cut).toBe(["first", ""].join("\n") + NOTE);
    expect(liveMarkup(cut)).toEqual([]);
  });

  it("measures with the size given: UTF-8 bytes for a check", () => {
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    const text = Array.from({ length: 100 }, () => "ü🔑".repeat(20)).join("\n");
    const cut = cutMarkdown(text, 1000, bytes, NOTE);
    expect(bytes(cut)).toBeLessThanOrEqual(1000);
    expect(cut).not.toContain("\uFFFD");
    for (const line of cut.slice(0, -NOTE.length).split("\n")) expect(line).toBe("ü🔑".repeat(20));
  });
});
