// Check-run output is cut to GitHub's limit as GitHub counts it (UTF-8 bytes), comments by characters: both at a line boundary.
import { describe, expect, it } from "vitest";
import { CHECK_TEXT_MAX_BYTES, clip, clipBytes } from "./feedback.js";

const bytes = (text: string) => new TextEncoder().encode(text).length;
const NOTE = /\n\n…\(cut to GitHub's size limit; the full text is in the audit log\)$/;

describe("clipBytes", () => {
  it("keeps a text that fits, and cuts one that does not to the byte limit, at a line boundary, with a note", () => {
    expect(clipBytes("plain ✓ text", CHECK_TEXT_MAX_BYTES)).toBe("plain ✓ text");
    // 65,000 characters fit a character limit, but not GitHub's byte limit for a check.
    const line = "ü".repeat(99);
    const wide = Array.from({ length: 650 }, () => line).join("\n");
    expect(clip(wide, 66_000)).toBe(wide);
    const cut = clipBytes(wide, CHECK_TEXT_MAX_BYTES);
    expect(bytes(cut)).toBeLessThanOrEqual(CHECK_TEXT_MAX_BYTES);
    expect(bytes(cut)).toBeGreaterThan(CHECK_TEXT_MAX_BYTES - 300);
    expect(cut).toMatch(NOTE);
    for (const kept of cut.replace(NOTE, "").split("\n")) expect(kept).toBe(line);
  });

  it("never cuts inside a character: 2-, 3- and 4-byte characters, lines of every length", () => {
    for (const char of ["ü", "✓", "🔑"]) {
      for (let pad = 0; pad < 4; pad++) {
        const text = Array.from({ length: 20 }, (_, i) => "x".repeat(pad + i) + char.repeat(3)).join("\n");
        const cut = clipBytes(text.repeat(30), 100);
        expect(bytes(cut), `${char} after ${pad}`).toBeLessThanOrEqual(100);
        expect(cut).not.toContain("\uFFFD");
        expect(cut.startsWith("x".repeat(pad) + char)).toBe(true);
      }
    }
  });
});

describe("clipBytes for a comment", () => {
  it("stays under GitHub's character count of a comment and closes a code block it cuts", () => {
    const text = ["### plan", "```diff", ...Array.from({ length: 2000 }, (_, i) => `+ www.evil-example-${i}.com will be created`), "```"].join("\n");
    const cut = clipBytes(text, 65_536 / 2);
    expect(cut.length).toBeLessThanOrEqual(65_536 / 2);
    expect(cut.replace(NOTE, "").endsWith("\n```")).toBe(true);
  });
});
