// A plan too large for GitHub is fitted, never cut inside markup: rendered as GitHub renders it, it holds no live link or mention.
import { marked } from "marked";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_REPOSITORY } from "../support/test-env.js";
import { commit, deliver, freshWorld, github, pullRequestPayload, repoView, settle } from "./support.js";

const COUNT = 400;
let base = "";

/** Links, and @mentions outside code, in `markdown` as GFM renders it (marked autolinks `www.` as GitHub does). */
function liveMarkup(markdown: string): string[] {
  const html = marked.parse(markdown, { gfm: true, async: false });
  const outside = html.replace(/<code[^>]*>[\s\S]*?<\/code>/g, "");
  return [...(outside.match(/<a\b[^>]*>/g) ?? []), ...(outside.match(/@[A-Za-z0-9][\w-]*/g) ?? [])];
}

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "cut\n" } })).base;
});

describe("a plan with more refusals than a comment holds", () => {
  it("shows the refusals that fit and counts the rest; the comment and the check render no link or mention", async () => {
    // Each spec imports an id that does not exist: one IMPORT_REFUSED per spec, each quoting a name holding `_www.` (GFM links www. after an underscore).
    const specs = Array.from({ length: COUNT }, (_, i) => `  - name: x_www.evil-example-${i}.com\n    import: cr_${String(i).padStart(27, "0")}\n`).join("");
    const head = (await commit("cut-1", { "credentials/a.yaml": `credentials:\n${specs}` })).sha;
    await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number: 2204, head_ref: "cut-1", head_sha: head, base_ref: "main" });
    expect((await deliver("pull_request", pullRequestPayload("opened", 2204, head, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ status: "refused" });
    const view = await repoView();
    const comment = view.comments.find((c) => c.issue_number === 2204)?.body ?? "";
    const check = view.check_runs.find((r) => r.head_sha === head && r.name === "ngrok-gitops/plan");
    expect(comment).toContain("x_www.evil-example-0.com");
    expect(liveMarkup(comment)).toEqual([]);
    expect(check?.conclusion).toBe("failure");
    expect(liveMarkup(check?.output.summary ?? "")).toEqual([]);
    expect(comment.length).toBeLessThanOrEqual(65_536);
    expect(comment).toMatch(/…and \d+ more refusals not shown here/);
  });
});
