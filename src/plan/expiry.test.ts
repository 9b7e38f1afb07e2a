// Expiry through makePlan: deleted past the date (reason "expired"), never created, announced before, listed for the drift issue.
import { describe, expect, it } from "vitest";
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata, type Marker } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { expiringMarkdown } from "./expiry.js";
import { makePlan, type PlanInput } from "./plan.js";
import { renderMarkdown, renderText } from "./render.js";

const OWNER = "acme-prod";
const DAY = 86_400_000;
const NOW = Date.UTC(2027, 0, 10, 12);

function spec(name: string, extra: Partial<CredentialSpec> = {}): CredentialSpec {
  return { name, description: "", metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: 2, column: 11, field: "credentials[0]" }, ...extra };
}

/** A spec that expires `ms` after NOW (negative: before). */
function expiring(name: string, ms: number, extra: Partial<CredentialSpec> = {}): CredentialSpec {
  const at = NOW + ms;
  return spec(name, { expires: new Date(at).toISOString(), expires_ms: at, ...extra });
}

let seq = 0;
function live(name: string, marker: Partial<Marker> = {}): Credential {
  seq++;
  return {
    id: `cr_${String(seq).padStart(4, "0")}`,
    uri: `https://api.ngrok.com/credentials/cr_${seq}`,
    created_at: "2027-01-01T00:00:00Z",
    description: "",
    token: null,
    acl: [],
    owner_id: "usr_default",
    metadata: encodeMetadata(null, { owner: OWNER, name, ...marker }),
  };
}

function plan(input: Partial<PlanInput>) {
  return makePlan({ ownerId: OWNER, specs: [], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10, now: NOW, ...input });
}

describe("past its expires", () => {
  it("the live credential is deleted, for reason expired, and shown as such", () => {
    const current = live("web");
    const p = plan({ specs: [expiring("web", -1)], live: [current], stored: new Map([["web", current.id]]) });
    expect(p.changes).toEqual([{ action: "delete", name: "web", id: current.id, reason: "expired", matured: false }]);
    expect(p.refusals).toEqual([]);
    expect(renderText(p)).toContain(`  - web (${current.id}) will be deleted\n  -     # expired: its expires date was never applied while still ahead, so MAX_DELETES counts this delete\n`);
    expect(renderMarkdown(p)).toContain("-     # expired: its expires date was never applied while still ahead");
  });

  it("at the instant itself, not a millisecond before", () => {
    const current = live("web", { expires: new Date(NOW + 1).toISOString() });
    expect(plan({ specs: [expiring("web", 0)], live: [current], stored: new Map([["web", current.id]]) }).changes.map((c) => c.action)).toEqual(["delete"]);
    expect(plan({ specs: [expiring("web", 1)], live: [current], stored: new Map([["web", current.id]]) }).changes).toEqual([]);
  });

  it("a date ahead is written into the marker (an update a reviewer sees); the date removed, it is taken out", () => {
    const current = live("web");
    const p = plan({ specs: [expiring("web", DAY * 30)], live: [current], stored: new Map([["web", current.id]]) });
    expect(p.changes).toEqual([
      {
        action: "update",
        name: "web",
        id: current.id,
        fields: [{ field: "expires", before: "", after: "2027-02-09 12:00 UTC" }],
        body: { metadata: encodeMetadata(null, { owner: OWNER, name: "web", expires: new Date(NOW + DAY * 30).toISOString() }) },
      },
    ]);
    expect(renderText(p)).toContain('~     expires: (none) → "2027-02-09 12:00 UTC"');
    const marked = live("web", { expires: new Date(NOW + DAY * 30).toISOString() });
    expect(plan({ specs: [spec("web")], live: [marked], stored: new Map([["web", marked.id]]) }).changes.map((c) => c.action === "update" && c.fields)).toEqual([[{ field: "expires", before: "2027-02-09 12:00 UTC", after: "" }]]);
    const created = plan({ specs: [expiring("new", DAY)] }).changes[0];
    expect(created?.action === "create" && created.body.metadata).toBe(encodeMetadata(null, { owner: OWNER, name: "new", expires: new Date(NOW + DAY).toISOString() }));
  });

  it("a spec already expired is never created, and the plan says so", () => {
    const p = plan({ specs: [expiring("old", -DAY), spec("new")] });
    expect(p.changes.map((c) => [c.action, c.name])).toEqual([["create", "new"]]);
    expect(p.notes).toEqual(['"old" (2027-01-09 12:00 UTC) has expired and is not created; remove its spec, or move expires to renew']);
    const many = plan({ specs: Array.from({ length: 12 }, (_, i) => expiring(`x${String(i).padStart(2, "0")}`, -DAY * 10)) });
    expect(many.changes).toEqual([]);
    expect(many.notes[0]).toMatch(/^"x00" \(2026-12-31 12:00 UTC\), .*"x09" \(2026-12-31 12:00 UTC\) and 2 more have expired and are not created; remove their specs, or move expires to renew$/);
  });

  it("a matured expiry (its date in the marker, written while ahead) is not MAX_DELETES' to stop; removals still are", () => {
    const at = new Date(NOW - 1).toISOString();
    const a = live("a", { expires: at });
    const b = live("b", { expires: at });
    const gone = live("gone");
    const stored = new Map([["a", a.id], ["b", b.id], ["gone", gone.id]]);
    const p = plan({ specs: [expiring("a", -1), expiring("b", -1)], live: [a, b], stored, maxDeletes: 0 });
    expect(p.changes.map((c) => c.action === "delete" && [c.reason, "matured" in c && c.matured])).toEqual([["expired", true], ["expired", true]]);
    expect(p.refusals).toEqual([]);
    expect(renderText(p)).toContain("-     # expired: its expires date, applied while still ahead, has passed");
    expect(plan({ specs: [expiring("a", -1)], live: [a, gone], stored, maxDeletes: 0 }).refusals.map((r) => r.code)).toEqual(["MAX_DELETES"]);
  });

  it("a date born past (not the one the marker holds, or none) counts toward MAX_DELETES", () => {
    const a = live("a");
    const b = live("b", { expires: new Date(NOW + DAY).toISOString() });
    const stored = new Map([["a", a.id], ["b", b.id]]);
    const p = plan({ specs: [expiring("a", -DAY), expiring("b", -DAY)], live: [a, b], stored, maxDeletes: 1 });
    expect(p.changes.map((c) => c.action === "delete" && [c.reason, "matured" in c && c.matured])).toEqual([["expired", false], ["expired", false]]);
    expect(p.refusals.map((r) => r.code)).toEqual(["MAX_DELETES"]);
    expect(plan({ specs: [expiring("a", -DAY), expiring("b", -DAY)], live: [a, b], stored, maxDeletes: 1, allowDeletes: true }).refusals).toEqual([]);
  });

  it("its delivered secrets are removed with it", () => {
    const current = live("web");
    const target = { github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } };
    const p = plan({ specs: [expiring("web", -1, { deliver: [target] })], live: [current], stored: new Map([["web", current.id]]), delivered: [{ key: "acme/site:NGROK_AUTHTOKEN", name: "web", id: current.id }] });
    expect(p.deliveries).toEqual([{ action: "undeliver", name: "web", target: { kind: "repo", key: "acme/site:NGROK_AUTHTOKEN", repo: "acme/site", secret: "NGROK_AUTHTOKEN" } }]);
  });

  it("a credential still protected on ngrok is not deleted in the commit that lifts prevent_destroy", () => {
    const current = live("vault", { protect: true });
    const p = plan({ specs: [expiring("vault", -1)], live: [current], stored: new Map([["vault", current.id]]) });
    expect(p.refusals).toEqual([
      {
        code: "PREVENT_DESTROY",
        name: "vault",
        message: `"vault" (${current.id}) has prevent_destroy: its spec expired in the commit that lifts it: set expires to a future date first, and let it expire once that is applied`,
      },
    ]);
  });
});

describe("before its expires", () => {
  it("within EXPIRY_WARNING plans announce it and list it, soonest first; beyond it they do not", () => {
    const p = plan({ specs: [expiring("later", 6 * DAY + 1), expiring("soon", DAY / 2), expiring("far", 7 * DAY + 1), spec("never")] });
    expect(p.changes.map((c) => c.name)).toEqual(["far", "later", "never", "soon"]);
    expect(p.expiring).toEqual([
      { name: "soon", expires: "2027-01-11T00:00:00.000Z", at: "2027-01-11T00:00:00.000Z", days: 0, source: { file: "credentials/a.yaml", line: 2, column: 11, field: "credentials[0]" } },
      { name: "later", expires: "2027-01-16T12:00:00.001Z", at: "2027-01-16T12:00:00.001Z", days: 6, source: { file: "credentials/a.yaml", line: 2, column: 11, field: "credentials[0]" } },
    ]);
    expect(p.notes).toEqual([
      '"soon" expires on 2027-01-11 (in under a day): to keep it, move its expires date in a pull request',
      '"later" expires on 2027-01-16 12:00:00 UTC (in 6 days): to keep it, move its expires date in a pull request',
    ]);
    expect(renderText(p)).toContain('  note: "soon" expires on 2027-01-11 (in under a day)');
  });

  it("EXPIRY_WARNING is an input; a date-only expires is announced by its date", () => {
    const p = plan({ specs: [spec("web", { expires: "2027-01-31", expires_ms: Date.UTC(2027, 0, 31) })], expiryWarningMs: 30 * DAY });
    expect(p.notes).toEqual(['"web" expires on 2027-01-31 (in 20 days): to keep it, move its expires date in a pull request']);
    expect(plan({ specs: [spec("web", { expires: "2027-01-31", expires_ms: Date.UTC(2027, 0, 31) })] }).expiring).toEqual([]);
  });

  it("many expiring: ten named, the rest counted", () => {
    const p = plan({ specs: Array.from({ length: 13 }, (_, i) => expiring(`c${String(i).padStart(2, "0")}`, DAY + i)) });
    expect(p.expiring).toHaveLength(13);
    expect(p.notes).toHaveLength(11);
    expect(p.notes[10]).toBe("3 more credentials expire within 7 days");
  });
});

describe("expiringMarkdown", () => {
  it("lists what expires within the window for the drift issue, and nothing when none does", () => {
    const p = plan({ specs: [expiring("soon", DAY / 2), expiring("later", 6 * DAY, { source: { file: "credentials/team|x.yaml", line: 9, column: 11, field: "credentials[3]" } })] });
    expect(expiringMarkdown(p.expiring ?? [])).toBe(
      [
        "### Expiring within 7 days",
        "",
        "Move `expires` in a pull request to keep one.",
        "",
        "| credential | expires | days left | spec |",
        "|---|---|---|---|",
        "| soon | 2027-01-11 | under 1 | credentials/a.yaml:2 |",
        "| later | 2027-01-16 12:00 UTC | 6 | credentials/team\\|x.yaml:9 |",
        "",
      ].join("\n"),
    );
    expect(expiringMarkdown([])).toBe("");
  });
});

describe("policy notes", () => {
  it("come first", () => {
    const p = plan({ specs: [expiring("soon", DAY)], policyNotes: ["this pull request changes the policy"] });
    expect(p.notes[0]).toBe("this pull request changes the policy");
    expect(p.notes).toHaveLength(2);
  });
});
