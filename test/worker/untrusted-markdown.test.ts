// What a hostile PR can make the bot write: nothing about credentials we do not own, and nothing that renders as markdown.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, commit, deliver, github, pullRequestPayload, repoView, settle } from "./support.js";

let base: string;
let handMade: string;
let foreign: string;
const SECRETS_OF_THE_HAND_MADE = ["Alice's laptop", "10.0.0.7", "vpn-gateway", "secret-host.example.com"];

beforeAll(async () => {
  const world = await freshWorld({
    files: { "README.md": "markdown\n" },
    seed: [
      { description: "Alice's laptop", metadata: '{"vpn-gateway":"10.0.0.7"}', acl: ["bind:secret-host.example.com"] },
      { description: "the other team's", metadata: encodeMetadata(null, { owner: "another-installation", name: "theirs" }) },
    ],
  });
  handMade = world.seeded[0]!.id;
  foreign = world.seeded[1]!.id;
  base = world.base;
  await settle();
});

/** Opens PR `number` with `files` and returns what the bot wrote: the PR's comment and the head's plan check. */
async function planPr(number: number, files: Record<string, string>) {
  const head = (await commit(`md-${number}`, files)).sha;
  await github("POST", `/__fake/repos/${TEST_REPOSITORY}/pulls`, { number, head_ref: `md-${number}`, head_sha: head, base_ref: "main" });
  expect((await deliver("pull_request", pullRequestPayload("opened", number, head, base))).status).toBe(202);
  const status = await settle();
  const view = await repoView();
  const comments = view.comments.filter((c) => c.issue_number === number);
  expect(comments).toHaveLength(1);
  const check = view.check_runs.find((run) => run.head_sha === head && run.name === "ngrok-gitops/plan");
  expect(check?.status).toBe("completed");
  return { status, comment: comments[0]?.body ?? "", check: check!, written: `${comments[0]?.body ?? ""}\n${JSON.stringify(check)}` };
}

const importing = (id: string) => `credentials:\n  - name: adopted\n    import: ${id}\n    description: now ours\n`;

describe("credentials we do not own", () => {
  it("an import's plan shows what the spec sets, never the hand-made credential's description, metadata or ACL", async () => {
    const { comment, written, status } = await planPr(1601, { "credentials/a.yaml": importing(handMade) });
    expect(comment).toContain(`<= adopted (${handMade}) will be imported`);
    expect(comment).toContain('description: "now ours"');
    for (const secret of SECRETS_OF_THE_HAND_MADE) expect(written).not.toContain(secret);
    // The operator's plan_text, behind ADMIN_TOKEN, keeps the detail.
    expect(status.last?.plan_text).toContain("Alice's laptop");
  });

  it("importing an id that does not exist and one another installation owns read the same on the PR", async () => {
    const missing = `cr_${"0".repeat(27)}`;
    const a = await planPr(1602, { "credentials/a.yaml": importing(missing) });
    const b = await planPr(1603, { "credentials/a.yaml": importing(foreign) });
    const same = (text: string, id: string) => text.replaceAll(id, "ID").replace(/plan for [0-9a-f]{7}/g, "plan for SHA");
    expect(same(a.comment, missing)).toBe(same(b.comment, foreign));
    expect([a.check.conclusion, a.check.output.title]).toEqual([b.check.conclusion, b.check.output.title]);
    expect(same(a.check.output.summary ?? "", missing)).toBe(same(b.check.output.summary ?? "", foreign));
    for (const text of [a.written, b.written]) expect(text).not.toMatch(/IMPORT_NOT_FOUND|IMPORT_CONFLICT|does not exist|another installation\b(?! left alone)/);
  });
});

describe("markdown injection", () => {
  const hostile = "x\u202eevil\u2066 ```\n### ngrok-gitops plan for 1234567\napproved by @acme/security-team ![i](https://evil.example/i.png) [docs](https://evil.example)";

  it("a description with a fence, a heading, a mention, links and bidi controls stays inside the code block, escaped", async () => {
    const yaml = `credentials:\n  - name: web\n    description: ${JSON.stringify(hostile)}\n`;
    const { comment, check } = await planPr(1604, { "credentials/a.yaml": yaml });
    for (const text of [comment, check.output.summary ?? ""]) {
      expect(text).not.toMatch(/[\u202e\u2066]/);
      expect(text).toContain("\\u202E");
      const lines = text.split("\n");
      expect(lines.filter((line) => line.startsWith("#"))).toHaveLength(1);
      const open = lines.findIndex((line) => /^`{3,}diff$/.test(line));
      const fence = lines[open]!.replace("diff", "");
      const close = lines.findIndex((line, i) => i > open && line.startsWith("```"));
      expect(lines[close]).toBe(fence);
      // The mention and the links are only ever inside the block.
      for (const [i, line] of lines.entries()) if (/@acme|evil\.example/.test(line)) expect(i > open && i < close).toBe(true);
    }
  });

  // Turns green once the run core renders invalid specs with renderInvalidMarkdown and specErrorAnnotations
  // (src/plan/render-errors.ts) instead of execute.ts's own invalidMarkdown/annotations: then make it `it`.
  it("an invalid spec's comment quotes a hostile key in code spans: no heading, mention, image or link renders", async () => {
    const key = "x\n### ngrok-gitops plan for 1234567\napproved by @acme/security-team ![i](https://evil.example/i.png) [docs](https://evil.example)\u202e";
    const yaml = `credentials:\n  - name: web\n    ${JSON.stringify(key)}: 1\n`;
    const { comment, check, status } = await planPr(1605, { "credentials/a.yaml": yaml });
    expect(status.last?.status).toBe("invalid");
    for (const text of [comment, check.output.summary ?? ""]) {
      expect(text).not.toContain("\u202e");
      const lines = text.split("\n");
      expect(lines.filter((line) => line.startsWith("#"))).toHaveLength(1);
      // Outside code spans nothing of the key is left.
      const outside = text.replace(/(`+)(?:(?!\1)[^\n])*?\1/g, "");
      expect(outside).not.toMatch(/@acme|evil\.example|!\[/);
    }
    for (const annotation of check.annotations) expect(annotation.message).not.toMatch(/[\n\u202e]/);
  });

  it("no secret of the Worker appears in anything it wrote", async () => {
    const view = JSON.stringify(await repoView());
    for (const secret of [TEST_SECRETS.ADMIN_TOKEN, TEST_SECRETS.NGROK_API_KEY, TEST_SECRETS.GITHUB_WEBHOOK_SECRET]) expect(view).not.toContain(secret);
  });
});
