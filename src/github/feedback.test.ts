// Check-run output is cut to GitHub's limit as GitHub counts it: UTF-8 bytes, between characters.
import { describe, expect, it } from "vitest";
import { CHECK_TEXT_MAX_BYTES, clip, clipBytes } from "./feedback.js";

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe("clipBytes", () => {
  it("keeps a text that fits, and cuts one that does not to the byte limit with a note", () => {
    expect(clipBytes("plain ✓ text", CHECK_TEXT_MAX_BYTES)).toBe("plain ✓ text");
    // 65,000 characters fit a character limit, but not GitHub's byte limit for a check.
    const wide = "ü".repeat(65_000);
    expect(clip(wide, CHECK_TEXT_MAX_BYTES)).toBe(wide);
    const cut = clipBytes(wide, CHECK_TEXT_MAX_BYTES);
    expect(bytes(cut)).toBeLessThanOrEqual(CHECK_TEXT_MAX_BYTES);
    expect(bytes(cut)).toBeGreaterThan(CHECK_TEXT_MAX_BYTES - 200);
    expect(cut).toMatch(/…\(cut to GitHub's size limit; the full text is in the audit log\)$/);
  });

  it("never cuts inside a character: 2-, 3- and 4-byte characters at every offset", () => {
    for (const char of ["ü", "✓", "🔑"]) {
      for (let pad = 0; pad < 4; pad++) {
        const text = "x".repeat(pad) + char.repeat(40);
        const cut = clipBytes(text, 100);
        expect(bytes(cut), `${char} after ${pad}`).toBeLessThanOrEqual(100);
        expect(cut).not.toContain("\uFFFD");
        expect(cut.startsWith("x".repeat(pad) + char)).toBe(true);
      }
    }
  });
});
