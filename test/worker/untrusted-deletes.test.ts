// MAX_DELETES counts every change that ends a credential; scheduled rotations spread over runs; a protected token held outside is not rotated away.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { TEST_REPOSITORY, TEST_SECRETS } from "../support/test-env.js";
import { freshWorld, admin, deliver, emulator, github, liveCredentials, pushPayload, settle } from "./support.js";

const OWNER = TEST_SECRETS.OWNER_ID;
const LIMIT = Number(TEST_SECRETS.MAX_DELETES);
let base: string;

/** A fresh account holding managed credentials `names` (ours by marker, created long ago, tokens not in the vault). */
async function seedManaged(names: string[], extra: { protect?: true } = {}): Promise<Map<string, string>> {
  await emulator("POST", "/__emulator/reset");
  const seeded = (await emulator("POST", "/__emulator/seed", {
    credentials: names.map((name) => ({ description: "", metadata: encodeMetadata(null, { owner: OWNER, name, ...extra }), created_at: "2025-01-01T00:00:00Z" })),
  })) as { credentials: { id: string }[] };
  return new Map(names.map((name, i) => [name, seeded.credentials[i]!.id]));
}

/** The default branch's whole tree becomes `files`; the push is applied. */
async function pushTree(files: Record<string, string>) {
  const sha = (await github<{ sha: string }>("POST", `/__fake/repos/${TEST_REPOSITORY}/commits`, { branch: "main", files: { "README.md": "deletes\n", ...files }, replace: true })).sha;
  expect((await deliver("push", pushPayload(sha, base))).status).toBe(202);
  return (await settle()).last!;
}

const specs = (names: string[], fields: string) => `credentials:\n${names.map((n) => `  - name: ${n}\n${fields}`).join("")}`;

beforeAll(async () => {
  base = (await freshWorld({ files: { "README.md": "deletes base\n" } })).base;
  await settle();
});

describe("MAX_DELETES", () => {
  it("counts replaces: adding owner_id to more credentials than the limit applies nothing", async () => {
    const names = Array.from({ length: LIMIT + 1 }, (_, i) => `owned-${i}`);
    const ids = await seedManaged(names);
    const run = await pushTree({ "credentials/a.yaml": specs(names, "    owner_id: bot_2abcdefghijklmnopqrstuvwxy\n") });
    expect(run.status).toBe("refused");
    expect(run.errors.join("\n")).toContain(`MAX_DELETES] the plan ends ${LIMIT + 1} credentials (0 deletes, ${LIMIT + 1} replaces`);
    expect((await liveCredentials()).map((c) => c.id).sort()).toEqual([...ids.values()].sort());
  });

  it("spreads scheduled rotations over runs: at most MAX_DELETES per run, the rest wait, nothing is refused", async () => {
    const names = Array.from({ length: LIMIT + 2 }, (_, i) => `due-${i}`);
    const ids = await seedManaged(names);
    const first = await pushTree({ "credentials/a.yaml": specs(names, "    rotate_after: 30d\n") });
    expect(first.status).toBe("succeeded");
    expect(first.outcomes.filter((o) => o.action === "rotate" && o.status === "done")).toHaveLength(LIMIT);
    expect(first.plan_text).toContain(`MAX_DELETES is ${LIMIT}: 2 scheduled rotations (due-${LIMIT}, due-${LIMIT + 1}) wait for the next runs`);
    expect(await (await admin("/api/reconcile", { method: "POST" })).json()).toMatchObject({ queued: true });
    const second = (await settle()).last!;
    expect(second.status).toBe("succeeded");
    expect(second.outcomes.filter((o) => o.action === "rotate" && o.status === "done").map((o) => o.name).sort()).toEqual([`due-${LIMIT}`, `due-${LIMIT + 1}`]);
    // Every name has a new credential now; the old ones work on through the grace window.
    expect((await liveCredentials()).length).toBe(2 * names.length);
    expect((await liveCredentials()).map((c) => c.id)).toEqual(expect.arrayContaining([...ids.values()]));
  });
});

describe("a prevent_destroy credential whose token is not in the vault", () => {
  it("is not rotated by its rotate_after: the plan is refused, saying how to ask explicitly", async () => {
    const ids = await seedManaged(["held-outside"], { protect: true });
    const run = await pushTree({ "credentials/a.yaml": specs(["held-outside"], "    prevent_destroy: true\n    rotate_after: 30d\n") });
    expect(run.status).toBe("refused");
    expect(run.errors.join("\n")).toContain("ROTATE_UNHELD");
    expect(run.errors.join("\n")).toContain("POST /api/credentials/held-outside/rotate");
    expect((await liveCredentials()).map((c) => c.id)).toEqual([ids.get("held-outside")]);
  });

  it("is rotated when the operator asks for it by name", async () => {
    const res = await admin("/api/credentials/held-outside/rotate", { method: "POST" });
    expect(res.status).toBe(202);
    const run = (await settle()).last!;
    expect(run.status).toBe("succeeded");
    expect(run.outcomes.map((o) => `${o.action} ${o.name} ${o.status}`)).toEqual(["rotate held-outside done"]);
  });
});
