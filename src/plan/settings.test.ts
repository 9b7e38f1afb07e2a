// Reviewed settings that ngrok does not hold show as plan lines, compared with the previous specs, in every rendering.
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import { EXAMPLE_OWNER as OWNER, exampleLive as live, exampleSpec as spec } from "../../test/support/plan-example.js";
import { makePlan, type PlanInput } from "./plan.js";
import { renderApplyMarkdown, renderMarkdown, renderText } from "./render.js";
import { changedSources, settingChanges } from "./settings.js";
import { targetPlan } from "./target.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 10, 12);
const target = (repo: string, name: string) => ({ github_actions_secret: { repo, name } });
const web = (extra: Partial<CredentialSpec> = {}) => spec("web", { source: { file: "credentials/web.yaml", line: 2, column: 11, field: "credentials[0]" }, ...extra });

function plan(specs: CredentialSpec[], previous: PlanInput["previous"], extra: Partial<PlanInput> = {}) {
  const current = live("cr_WEB", "web");
  return makePlan({ ownerId: OWNER, specs, live: [current], stored: new Map([["web", "cr_WEB"]]), intents: [], specFiles: 1, maxDeletes: 10, now: NOW, ...(previous ? { previous } : {}), ...extra });
}

describe("reviewed settings", () => {
  it("a new delivery target on an existing credential is its own line, and the plan is not 'No changes'", () => {
    const p = plan([web({ deliver: [target("acme/site", "NGROK_TOKEN")] })], { label: "the default branch (abc1234)", specs: [web()] });
    expect(p.changes).toEqual([]);
    expect(p.settings).toEqual([{ name: "web", setting: "deliver", before: null, after: "acme/site:NGROK_TOKEN" }]);
    const text = renderText(p);
    expect(text).not.toContain("No changes. The ngrok account matches the specs.");
    expect(text).toBe(
      [
        "No ngrok changes: the account matches the specs. Reviewed settings changed; they need no ngrok call, but review them:",
        "  ~ web: deliver + acme/site:NGROK_TOKEN",
        "",
        "Plan: 0 to create, 0 to update, 0 to delete. 1 reviewed setting changed since the default branch (abc1234), no ngrok call.",
        "1 unchanged · 0 unmanaged left alone",
        "",
      ].join("\n"),
    );
    const md = renderMarkdown(p);
    expect(md).toContain("~ web: deliver + acme/site:NGROK_TOKEN");
    expect(md).toContain("1 reviewed setting changed since the default branch (abc1234), no ngrok call.");
    expect(md).toContain("No ngrok changes: the account matches the specs.");
    expect(renderApplyMarkdown({ title: "apply", plan: p, errors: [] })).toContain("~ web: deliver + acme/site:NGROK_TOKEN");
    expect(JSON.parse(JSON.stringify(p)).settings).toEqual(p.settings);
  });

  it("a target added to (or removed from) an existing credential shows once, as its reviewed setting, while the apply still delivers (or removes) it", () => {
    // What the Worker plans: the delivery records say where the token went; the new target has not had it yet.
    const delivered = [{ key: "acme/old:NGROK_TOKEN", name: "web", id: "cr_WEB" }];
    const p = plan([web({ deliver: [target("acme/site", "NGROK_TOKEN")] })], { label: "the default branch (abc1234)", specs: [web({ deliver: [target("acme/old", "NGROK_TOKEN")] })] }, { delivered });
    expect(p.deliveries.map((d) => `${d.action} ${d.target.key}`)).toEqual(["deliver acme/site:NGROK_TOKEN", "undeliver acme/old:NGROK_TOKEN"]);
    const lines = ["  ~ web: deliver + acme/site:NGROK_TOKEN\n", "  ~ web: deliver - acme/old:NGROK_TOKEN\n"];
    for (const text of [renderText(p), renderApplyMarkdown({ title: "apply", plan: p, errors: [] })]) {
      for (const line of lines) expect(text.split(line)).toHaveLength(2);
      expect(text).not.toContain("> deliver web");
      expect(text).not.toContain("< remove secret");
    }
    const md = renderMarkdown(p);
    expect(md).toContain("~ web: deliver + acme/site:NGROK_TOKEN\n");
    expect(md).not.toContain("> deliver web");
    expect(md).not.toContain("< remove secret");
    expect(renderText(p)).toContain("No ngrok changes: the account matches the specs. Reviewed settings changed");
    // A refused delivery says why, beside its setting line: that is news the setting line does not carry.
    const refused = { ...p, deliveries: p.deliveries.map((d) => (d.action === "deliver" ? { ...d, refused: "the secret exists and was not written by ngrok-gitops" } : d)) };
    expect(renderText(refused)).toContain("! refused: deliver web -> acme/site:NGROK_TOKEN: the secret exists");
    // A delivery no setting announces (the token of an unchanged target, after a rotation) keeps its line.
    const again = plan([web({ deliver: [target("acme/site", "NGROK_TOKEN")] })], { label: "x", specs: [web({ deliver: [target("acme/site", "NGROK_TOKEN")] })] }, { delivered: [] });
    expect(renderText(again)).toContain("  > deliver web -> acme/site:NGROK_TOKEN\n");
  });

  it("rotate_after, expires, prevent_destroy, import and removed targets, before → after", () => {
    const before = web({ rotate_after_ms: 90 * DAY, deliver: [target("acme/site", "OLD")], import: "cr_OLDID" });
    const after = web({ rotate_after_ms: 30 * DAY, deliver: [target("acme/site", "NEW")], import: "cr_WEB" });
    expect(settingChanges([before], [after]).map((s) => [s.setting, s.before, s.after])).toEqual([
      ["import", null, "cr_WEB"],
      ["import", "cr_OLDID", null],
      ["rotate_after", "90d", "30d"],
      ["deliver", null, "acme/site:NEW"],
      ["deliver", "acme/site:OLD", null],
    ]);
    const text = renderText(plan([after], { label: "the last apply (abc1234)", specs: [before] }));
    for (const line of ["~ web: rotate_after 90d → 30d", "~ web: deliver + acme/site:NEW", "~ web: deliver - acme/site:OLD", "~ web: import + cr_WEB", "~ web: import - cr_OLDID"]) expect(text).toContain(`  ${line}\n`);
    expect(settingChanges([web()], [web({ prevent_destroy: true })])).toEqual([{ name: "web", setting: "prevent_destroy", before: "false", after: "true" }]);
    expect(settingChanges([web()], [web({ expires: "2027-03-01", expires_ms: Date.UTC(2027, 2, 1) })])).toEqual([{ name: "web", setting: "expires", before: null, after: "2027-03-01" }]);
    // An organisation secret's visibility is part of what is reviewed.
    const org = (visibility: "all" | "private") => web({ deliver: [{ github_actions_org_secret: { org: "acme", name: "T", visibility } }] });
    expect(settingChanges([org("private")], [org("all")]).map((s) => [s.before, s.after])).toEqual([[null, "org:acme:T (visibility all)"], ["org:acme:T (visibility private)", null]]);
  });

  it("what a change already shows is not repeated: a create's settings, a marker field, a delete", () => {
    // prevent_destroy travels in the marker: the update shows it, once.
    const p = plan([web({ prevent_destroy: true })], { label: "x", specs: [web()] });
    expect(p.changes.map((c) => c.action)).toEqual(["update"]);
    expect(p.settings).toEqual([]);
    const created = makePlan({ ownerId: OWNER, specs: [spec("new", { rotate_after_ms: 30 * DAY, deliver: [target("acme/site", "T")] })], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10, now: NOW, previous: { label: "x", specs: [] } });
    expect(created.settings).toEqual([]);
    expect(renderText(created)).toContain("  +     rotate_after: 30d\n  +     deliver: acme/site:T\n");
  });

  it("with nothing to compare with, the plan says so; a --target narrows the settings too", () => {
    expect(plan([web()], { unknown: "nothing has been applied yet to compare with" }).notes).toContain(
      "reviewed settings (rotate_after, expires, deliver, prevent_destroy, import) are not compared: nothing has been applied yet to compare with",
    );
    const p = plan([web({ rotate_after_ms: DAY })], { label: "x", specs: [web()] });
    expect(targetPlan(p, ["web"]).plan.settings).toHaveLength(1);
    expect(targetPlan(p, ["web"]).unknown).toEqual([]);
    expect(targetPlan(p, ["other"]).plan.settings).toEqual([]);
  });

  it("only files that differ are compared: the others hold the same specs", () => {
    const a = { path: "credentials/a.yaml", content: "A" };
    const b = { path: "credentials/b.yaml", content: "B" };
    const b2 = { path: "credentials/b.yaml", content: "B2" };
    const c = { path: "credentials/c.yaml", content: "C" };
    const { previous, paths } = changedSources([a, b], [a, b2, c]);
    expect(previous).toEqual([b]);
    expect([...paths].sort()).toEqual(["credentials/b.yaml", "credentials/c.yaml"]);
    // A spec in an unchanged file is not compared (it cannot have changed).
    expect(plan([web({ rotate_after_ms: DAY })], { label: "x", specs: [], paths: new Set(["credentials/other.yaml"]) }).settings).toEqual([]);
  });
});
