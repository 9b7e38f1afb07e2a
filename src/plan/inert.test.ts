// Whatever a spec holds, inert text shows it literally: no hidden characters survive, and no code span or block is broken out of.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { code, codeBlock, showHidden } from "./inert.js";

const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}]/u;
const nasty = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.array(fc.constantFrom("`", "``", "```", "\n", "\r", "### ", "@acme/security-team", "[x](https://evil)", "![i](https://e/i.png)", "<b>", "\u202e", "\u2066", "\u200b", "\ufeff", "\u2028", " ", "a", "\t"), { maxLength: 20 }).map((parts) => parts.join("")),
);

describe("showHidden", () => {
  it("escapes bidi, zero-width, control and separator characters by code point, newlines by name", () => {
    expect(showHidden("a\u202eb\u2066c\u200bd\ufeffe\u2028f\u0000g")).toBe("a\\u202Eb\\u2066c\\u200Bd\\uFEFFe\\u2028f\\u0000g");
    expect(showHidden("x\ny\r\tz")).toBe("x\\ny\\r\\tz");
    expect(showHidden("tag \u{E0041}")).toBe("tag \\u{E0041}");
    expect(showHidden("plain ünïcödé ✓ 日本")).toBe("plain ünïcödé ✓ 日本");
  });

  it("leaves no hidden character behind", () => {
    fc.assert(fc.property(nasty, (text) => !HIDDEN.test(showHidden(text))));
  });
});

describe("code", () => {
  it("holds backticks, mentions, links and headings literally", () => {
    expect(code("plain")).toBe("`plain`");
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`start")).toBe("`` `start ``");
    expect(code("")).toBe("` `");
    expect(code("x\n### approved by @acme/security-team")).toBe("`x\\n### approved by @acme/security-team`");
  });

  it("is one line, opens and closes with the same fence, and no run inside is that long", () => {
    fc.assert(
      fc.property(nasty, (text) => {
        const out = code(text);
        const fence = /^`+/.exec(out)?.[0] ?? "";
        const inner = out.slice(fence.length, out.length - fence.length);
        return !out.includes("\n") && !HIDDEN.test(out) && out.endsWith(fence) && !(inner.match(/`+/g) ?? []).some((run) => run.length >= fence.length);
      }),
    );
  });
});

describe("codeBlock", () => {
  it("no line inside can close it or start a new line", () => {
    fc.assert(
      fc.property(fc.array(nasty, { maxLength: 5 }), (lines) => {
        const out = codeBlock(lines, "diff").split("\n");
        const fence = (out[0] ?? "").replace(/diff$/, "");
        const inside = out.slice(1, -1);
        return out.length === lines.length + 2 && out[out.length - 1] === fence && fence.length >= 3 && inside.every((line) => !HIDDEN.test(line) && !(line.match(/`+/g) ?? []).some((run) => run.length >= fence.length));
      }),
    );
  });
});
