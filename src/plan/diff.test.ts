// The diff and its policies: each rule of ownership, minimal updates and safety rails, over plain data.
import { describe, expect, it } from "vitest";
import type { Credential } from "../ngrok/types.js";
import { encodeMetadata, type Marker } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { makePlan, type PlanInput } from "./plan.js";
import { summarize } from "./types.js";

const OWNER = "acme-prod";

function spec(name: string, extra: Partial<CredentialSpec> = {}): CredentialSpec {
  return { name, description: "", metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: 1, column: 1, field: "credentials[0]" }, ...extra };
}

let seq = 0;
function live(fields: Partial<Credential> & { marker?: Partial<Marker> | null; user?: CredentialSpec["metadata"] } = {}): Credential {
  seq++;
  const { marker, user, ...rest } = fields;
  const metadata = marker === null || marker === undefined ? rest.metadata : encodeMetadata(user ?? null, { owner: OWNER, name: "x", ...marker });
  return {
    id: `cr_${String(seq).padStart(4, "0")}`,
    uri: `https://api.ngrok.com/credentials/cr_${seq}`,
    created_at: `2026-01-01T00:00:${String(seq % 60).padStart(2, "0")}Z`,
    description: "",
    token: null,
    acl: [],
    owner_id: "usr_default",
    ...rest,
    metadata,
  };
}

function plan(input: Partial<PlanInput>) {
  return makePlan({ ownerId: OWNER, specs: [], live: [], stored: new Map(), intents: [], specFiles: 1, maxDeletes: 10, ...input });
}

describe("diff", () => {
  it("creates what is missing, with the marker in metadata", () => {
    const p = plan({ specs: [spec("a", { description: "A", metadata: { team: "x" }, acl: ["bind:a.com"] })] });
    expect(p.changes).toHaveLength(1);
    const [change] = p.changes;
    expect(change?.action).toBe("create");
    if (change?.action !== "create") return;
    expect(change.body).toEqual({ description: "A", acl: ["bind:a.com"], metadata: encodeMetadata({ team: "x" }, { owner: OWNER, name: "a" }) });
  });

  it("leaves an identical credential alone, whatever the ACL order, duplicates or metadata key order", () => {
    const current = live({ marker: { name: "a" }, user: { b: 1, a: 2 }, acl: ["bind:z.com", "bind:a.com", "bind:a.com"], description: "d" });
    const p = plan({ specs: [spec("a", { description: "d", metadata: { a: 2, b: 1 }, acl: ["bind:a.com", "bind:z.com"] })], live: [current], stored: new Map([["a", current.id]]) });
    expect(p.changes).toEqual([]);
    expect(p.unchanged).toEqual(["a"]);
    expect(p.notes).toEqual([]);
  });

  it("updates only the fields that differ, and clearing really clears", () => {
    const current = live({ marker: { name: "a", nonce: "N" }, user: { t: 1 }, acl: ["bind:a.com"], description: "old" });
    const p = plan({ specs: [spec("a")], live: [current], stored: new Map([["a", current.id]]) });
    expect(p.changes).toEqual([
      {
        action: "update",
        name: "a",
        id: current.id,
        fields: [
          { field: "description", before: "old", after: "" },
          { field: "metadata", before: { t: 1 }, after: null },
          { field: "acl", before: ["bind:a.com"], after: [] },
        ],
        // The nonce is kept: it still identifies the create that minted this token.
        body: { description: "", metadata: encodeMetadata(null, { owner: OWNER, name: "a", nonce: "N" }), acl: [] },
      },
    ]);
    const onlyAcl = plan({ specs: [spec("a", { description: "old", metadata: { t: 1 }, acl: ["bind:b.com"] })], live: [current], stored: new Map([["a", current.id]]) });
    expect(onlyAcl.changes[0]?.action === "update" && onlyAcl.changes[0].body).toEqual({ acl: ["bind:b.com"] });
  });

  it("deletes managed credentials whose spec is gone, never unmanaged or foreign ones", () => {
    const mine = live({ marker: { name: "gone" } });
    const unmanaged = live({ metadata: '{"device_id":"d"}' });
    const bare = live({});
    const foreign = live({ metadata: encodeMetadata(null, { owner: "someone-else", name: "gone" }) });
    const p = plan({ live: [mine, unmanaged, bare, foreign] });
    expect(p.changes).toEqual([{ action: "delete", name: "gone", id: mine.id, reason: "removed" }]);
    expect([p.unmanaged, p.foreign]).toEqual([2, 1]);
    // A spec with the same name as a foreign credential creates our own; the foreign one is untouched.
    expect(plan({ specs: [spec("gone")], live: [foreign] }).changes.map((c) => c.action)).toEqual(["create"]);
  });

  it("replaces on owner_id change: create first, then delete", () => {
    const current = live({ marker: { name: "a" }, owner_id: "usr_1" });
    const p = plan({ specs: [spec("a", { owner_id: "bot_2" })], live: [current], stored: new Map([["a", current.id]]) });
    expect(p.changes.map((c) => [c.action, c.name])).toEqual([["replace", "a"]]);
    expect(summarize(p)).toEqual({ create: 1, update: 0, delete: 1 });
    // Without owner_id in the spec, the live owner is not compared.
    expect(plan({ specs: [spec("a")], live: [current], stored: new Map([["a", current.id]]) }).changes).toEqual([]);
  });

  it("imports an unmanaged credential by id, adding the marker, and refuses conflicting imports", () => {
    const target = live({ metadata: "legacy", description: "old", acl: ["bind:a.com"] });
    const p = plan({ specs: [spec("legacy", { import: target.id, description: "old", acl: ["bind:a.com"] })], live: [target] });
    expect(p.changes).toEqual([
      { action: "import", name: "legacy", id: target.id, fields: [{ field: "metadata", before: "legacy", after: null }], spec: expect.objectContaining({ name: "legacy" }), body: { metadata: encodeMetadata(null, { owner: OWNER, name: "legacy" }) } },
    ]);
    expect(p.unmanaged).toBe(1);
    // Once imported, the same spec is a no-op.
    const imported = { ...target, metadata: encodeMetadata(null, { owner: OWNER, name: "legacy" }) };
    expect(plan({ specs: [spec("legacy", { import: target.id, description: "old", acl: ["bind:a.com"] })], live: [imported] }).changes).toEqual([]);
    expect(plan({ specs: [spec("x", { import: "cr_missing" })] }).refusals.map((r) => r.code)).toEqual(["IMPORT_REFUSED"]);
    const foreign = live({ metadata: encodeMetadata(null, { owner: "other", name: "x" }) });
    expect(plan({ specs: [spec("x", { import: foreign.id })], live: [foreign] }).refusals.map((r) => r.code)).toEqual(["IMPORT_REFUSED"]);
  });

  it("deletes an orphan of an unconfirmed create and creates again; keeps it when the vault has its token", () => {
    const orphan = live({ marker: { name: "a", nonce: "N1" } });
    const p = plan({ specs: [spec("a")], live: [orphan], intents: [{ name: "a", nonce: "N1" }] });
    expect(p.changes.map((c) => [c.action, c.action === "delete" ? c.reason : ""])).toEqual([["delete", "orphan"], ["create", ""]]);
    expect(p.changes[0]).toMatchObject({ intent: { name: "a", nonce: "N1" } });
    const confirmed = plan({ specs: [spec("a")], live: [orphan], intents: [{ name: "a", nonce: "N1" }], stored: new Map([["a", orphan.id]]) });
    expect(confirmed.changes).toEqual([]);
    expect(confirmed.staleIntents).toEqual([{ name: "a", nonce: "N1" }]);
    expect(plan({ specs: [spec("a")], live: [], intents: [{ name: "a", nonce: "N9" }] }).staleIntents).toEqual([{ name: "a", nonce: "N9" }]);
  });

  it("keeps the credential whose token is stored when a name has duplicates", () => {
    const older = live({ marker: { name: "a" } });
    const newer = live({ marker: { name: "a" } });
    const p = plan({ specs: [spec("a")], live: [older, newer], stored: new Map([["a", newer.id]]) });
    expect(p.changes).toEqual([{ action: "delete", name: "a", id: older.id, reason: "duplicate" }]);
  });

  it("keeps the oldest of a name's duplicates when no token is stored, whatever order ngrok lists them in", () => {
    const oldest = live({ marker: { name: "a" } });
    const middle = live({ marker: { name: "a" } });
    const newest = live({ marker: { name: "a" } });
    for (const order of [[newest, oldest, middle], [oldest, middle, newest], [middle, newest, oldest]]) {
      const p = plan({ specs: [spec("a")], live: order });
      expect(p.changes.map((c) => (c.action === "delete" ? c.id : c.action))).toEqual([middle.id, newest.id]);
    }
  });

  it("notes a managed credential whose token is not in the vault, without rotating it", () => {
    const current = live({ marker: { name: "a" } });
    const p = plan({ specs: [spec("a")], live: [current] });
    expect(p.changes).toEqual([]);
    expect(p.notes).toEqual([`"a" (${current.id}) is managed but its token is not in the vault: whoever holds them keeps using them; rotate to have one stored`]);
    const many = Array.from({ length: 12 }, (_, i) => live({ marker: { name: `m${String(i).padStart(2, "0")}` } }));
    const flood = plan({ specs: many.map((_, i) => spec(`m${String(i).padStart(2, "0")}`)), live: many });
    expect(flood.notes).toHaveLength(1);
    expect(flood.notes[0]).toMatch(/^"m00" \(cr_\d+\), .* and 2 more are managed but their tokens are not in the vault/);
  });
});

describe("policies", () => {
  it("prevent_destroy refuses a replace, and a delete even after the spec is gone", () => {
    const current = live({ marker: { name: "a", protect: true }, owner_id: "usr_1" });
    expect(plan({ specs: [spec("a", { prevent_destroy: true, owner_id: "bot_2" })], live: [current] }).refusals.map((r) => r.code)).toEqual(["PREVENT_DESTROY"]);
    expect(plan({ live: [current] }).refusals.map((r) => r.code)).toEqual(["PREVENT_DESTROY"]);
    // Lifting it is an update of the marker; then removal is allowed.
    const lift = plan({ specs: [spec("a")], live: [current] });
    expect(lift.refusals).toEqual([]);
    expect(lift.changes[0]?.action === "update" && lift.changes[0].fields).toEqual([{ field: "prevent_destroy", before: true, after: false }]);
    // Orphans are exempt: nobody holds their token.
    const orphan = live({ marker: { name: "a", protect: true, nonce: "N" } });
    expect(plan({ specs: [spec("a", { prevent_destroy: true })], live: [orphan], intents: [{ name: "a", nonce: "N" }] }).refusals).toEqual([]);
  });

  it("MAX_DELETES refuses mass deletion unless allowed", () => {
    const many = Array.from({ length: 4 }, (_, i) => live({ marker: { name: `c${i}` } }));
    expect(plan({ live: many, maxDeletes: 3 }).refusals.map((r) => r.code)).toEqual(["MAX_DELETES"]);
    expect(plan({ live: many, maxDeletes: 4 }).refusals).toEqual([]);
    expect(plan({ live: many, maxDeletes: 3, allowDeletes: true }).refusals).toEqual([]);
  });

  it("an empty credentials/ never means delete everything", () => {
    const one = [live({ marker: { name: "a" } })];
    expect(plan({ live: one, specFiles: 0 }).refusals.map((r) => r.code)).toEqual(["EMPTY_SPECS"]);
    expect(plan({ live: one, specFiles: 1 }).refusals).toEqual([]);
    expect(plan({ live: [], specFiles: 0 }).refusals).toEqual([]);
  });
});

describe("rotation", () => {
  const day = 86_400_000;
  const now = Date.parse("2026-06-01T00:00:00Z");
  const old = () => live({ marker: { name: "a", protect: true }, created_at: "2026-01-01T00:00:00Z" });

  it("rotates a credential older than rotate_after: the old one is marked to retire after the grace window", () => {
    const current = old();
    const p = plan({ specs: [spec("a", { rotate_after_ms: 90 * day, prevent_destroy: true })], live: [current], stored: new Map([["a", current.id]]), now, rotationGraceMs: 3_600_000 });
    expect(p.refusals).toEqual([]);
    expect(p.changes).toHaveLength(1);
    const change = p.changes[0];
    expect(change?.action).toBe("rotate");
    if (change?.action !== "rotate") return;
    expect(change.retireAt).toBe("2026-06-01T01:00:00.000Z");
    expect(change.retireBody).toEqual({ metadata: encodeMetadata(null, { owner: OWNER, name: "a", protect: true, retire: "2026-06-01T01:00:00.000Z" }) });
    // Younger than rotate_after: nothing to do.
    expect(plan({ specs: [spec("a", { rotate_after_ms: 200 * day, prevent_destroy: true })], live: [current], stored: new Map([["a", current.id]]), now }).changes).toEqual([]);
    // The operator can ask for it at any age.
    expect(plan({ specs: [spec("a", { prevent_destroy: true })], live: [current], stored: new Map([["a", current.id]]), now, rotateNow: new Set(["a"]) }).changes.map((c) => c.action)).toEqual(["rotate"]);
  });

  it("during the grace window neither duplicates nor deletes early; after it, deletes the old one even if protected", () => {
    const retiring = live({ marker: { name: "a", protect: true, retire: "2026-06-01T01:00:00.000Z" }, created_at: "2026-01-01T00:00:00Z" });
    const successor = live({ marker: { name: "a", protect: true }, created_at: "2026-06-01T00:00:01Z" });
    const during = plan({ specs: [spec("a", { rotate_after_ms: 90 * day, prevent_destroy: true })], live: [retiring, successor], stored: new Map([["a", successor.id]]), now: now + 1000 });
    expect(during.changes).toEqual([]);
    expect(during.retiring).toBe(1);
    const after = plan({ specs: [spec("a", { rotate_after_ms: 90 * day, prevent_destroy: true })], live: [retiring, successor], stored: new Map([["a", successor.id]]), now: now + 3_600_000 });
    expect(after.changes).toEqual([{ action: "delete", name: "a", id: retiring.id, reason: "retired" }]);
    expect(after.refusals).toEqual([]);
  });
});

describe("deliveries", () => {
  const target = { github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } };
  const envTarget = { github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN", environment: "prod" } };

  it("plans organisation secrets with their visibility, keyed apart from repository secrets", () => {
    const org = { github_actions_org_secret: { org: "acme", name: "NGROK_AUTHTOKEN", visibility: "all" as const } };
    const p = plan({ specs: [spec("a", { deliver: [org, target] })], delivered: [] });
    expect(p.deliveries.map((d) => d.target)).toEqual([
      { kind: "org", key: "org:acme:NGROK_AUTHTOKEN", org: "acme", secret: "NGROK_AUTHTOKEN", visibility: "all" },
      { kind: "repo", key: "acme/site:NGROK_AUTHTOKEN", repo: "acme/site", secret: "NGROK_AUTHTOKEN" },
    ]);
    const current = live({ marker: { name: "a" } });
    const dropped = plan({ specs: [spec("a")], live: [current], stored: new Map([["a", current.id]]), delivered: [{ key: "org:acme:NGROK_AUTHTOKEN", name: "a", id: current.id }] });
    expect(dropped.deliveries).toEqual([{ action: "undeliver", name: "a", target: { kind: "org", key: "org:acme:NGROK_AUTHTOKEN", org: "acme", secret: "NGROK_AUTHTOKEN", visibility: "private" } }]);
  });

  it("delivers a new credential's token to each target, and a stored token to a newly added target", () => {
    const created = plan({ specs: [spec("a", { deliver: [target, envTarget] })], delivered: [] });
    // Where deliveries are not tracked (the CLI), none are planned.
    expect(plan({ specs: [spec("a", { deliver: [target] })] }).deliveries).toEqual([]);
    expect(created.deliveries.map((d) => `${d.action} ${d.name} ${d.target.key}`)).toEqual(["deliver a acme/site:NGROK_AUTHTOKEN", "deliver a acme/site@prod:NGROK_AUTHTOKEN"]);
    const current = live({ marker: { name: "a" } });
    const stored = new Map([["a", current.id]]);
    const delivered = [{ key: "acme/site:NGROK_AUTHTOKEN", name: "a", id: current.id }];
    expect(plan({ specs: [spec("a", { deliver: [target] })], live: [current], stored, delivered }).deliveries).toEqual([]);
    expect(plan({ specs: [spec("a", { deliver: [target, envTarget] })], live: [current], stored, delivered }).deliveries.map((d) => d.target.key)).toEqual(["acme/site@prod:NGROK_AUTHTOKEN"]);
  });

  it("redelivers when the credential is replaced or the earlier delivery was for another id, and removes dropped targets", () => {
    const current = live({ marker: { name: "a" } });
    const stale = [{ key: "acme/site:NGROK_AUTHTOKEN", name: "a", id: "cr_previous" }];
    expect(plan({ specs: [spec("a", { deliver: [target] })], live: [current], stored: new Map([["a", current.id]]), delivered: stale }).deliveries.map((d) => d.action)).toEqual(["deliver"]);
    const dropped = plan({ specs: [spec("a")], live: [current], stored: new Map([["a", current.id]]), delivered: [{ key: "acme/site:NGROK_AUTHTOKEN", name: "a", id: current.id }] });
    expect(dropped.deliveries).toEqual([{ action: "undeliver", name: "a", target: { kind: "repo", key: "acme/site:NGROK_AUTHTOKEN", repo: "acme/site", secret: "NGROK_AUTHTOKEN" } }]);
  });
});
