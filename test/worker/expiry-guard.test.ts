// Expiry cannot bypass MAX_DELETES: a date already past when its commit is applied counts like any delete; a date
// applied while still ahead (the marker in ngrok records it) matures and deletes without counting.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeMetadata } from "../../src/ownership/marker.js";
import { TEST_SECRETS } from "../support/test-env.js";
import { admin, commit, freshWorld, liveCredentials, settle } from "./support.js";

const LIMIT = Number(TEST_SECRETS.MAX_DELETES);
const names = Array.from({ length: LIMIT + 2 }, (_, i) => `exp-${i}`);
const specs = (expires: string | null) => `credentials:\n${names.map((n) => `  - name: ${n}\n${expires ? `    expires: ${expires}\n` : ""}`).join("")}`;

const managed = async () =>
  (await liveCredentials()).flatMap((c) => {
    const d = decodeMetadata(c.metadata);
    return d.kind === "managed" ? [{ name: d.marker.name, expires: d.marker.expires }] : [];
  });

async function applyMain(files: Record<string, string | null>) {
  await commit("main", files);
  expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
  return (await settle()).last!;
}

beforeAll(async () => {
  await freshWorld({ files: { "README.md": "expiry guard\n" } });
  await settle();
});

describe("expiry and MAX_DELETES", () => {
  it("a newly past expires on more credentials than MAX_DELETES is refused, and nothing is deleted", async () => {
    expect((await applyMain({ "credentials/a.yaml": specs(null) })).status).toBe("succeeded");
    expect((await managed()).length).toBe(names.length);
    const run = await applyMain({ "credentials/a.yaml": specs("2000-01-01") });
    expect(run.status).toBe("refused");
    expect(run.errors.join("\n")).toContain(`[MAX_DELETES] the plan ends ${names.length} credentials (${names.length} deletes`);
    expect(run.plan_text).toContain("expired: its expires date was never applied while still ahead, so MAX_DELETES counts this delete");
    expect((await managed()).length).toBe(names.length);
  });

  it("a date applied while ahead is written to the marker, and once it passes every credential is deleted, uncounted", async () => {
    // A few seconds ahead, to the second: far enough to be applied before it passes.
    const at = new Date(Math.ceil((Date.now() + 8_000) / 1000) * 1000);
    const written = at.toISOString().replace(".000Z", "Z");
    const applied = await applyMain({ "credentials/a.yaml": specs(written) });
    expect(applied.status).toBe("succeeded");
    expect(applied.outcomes.map((o) => `${o.action} ${o.status}`)).toEqual(names.map(() => "update done"));
    expect((await managed()).map((c) => c.expires)).toEqual(names.map(() => at.toISOString()));
    while (Date.now() <= at.getTime() + 500) await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await admin("/api/reconcile", { method: "POST" })).status).toBe(202);
    const matured = (await settle()).last!;
    expect(matured.status).toBe("succeeded");
    expect(matured.outcomes.map((o) => `${o.action} ${o.status}`)).toEqual(names.map(() => "delete done"));
    expect(matured.plan_text).toContain("expired: its expires date, applied while still ahead, has passed");
    expect(await managed()).toEqual([]);
    const audit = (await (await admin("/api/audit?kind=change&name=exp-0")).json()) as { entries: { action: string; detail: { reason?: string; matured?: boolean } }[] };
    expect(audit.entries[0]).toMatchObject({ action: "delete", detail: { reason: "expired", matured: true } });
  });
});
