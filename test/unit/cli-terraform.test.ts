// The CLI as Terraform users expect it, run in-process (runCli, as the bin runs it) against the emulator: saved plans that refuse to apply
// when anything changed, --target, apply --json, colour rules, `unmanaged`, and token stores kept apart per API URL and OWNER_ID.
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { useColor } from "../../src/cli/color.js";
import { CLI_OWNER_ID } from "../../src/cli/identity.js";
import { defaultTokensPath } from "../../src/cli/token-path.js";
import { cleanupWorkspaces, SLOW, workspace } from "../support/cli-harness.js";

let emulator: StartedEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
  await cleanupWorkspaces();
});

const SPECS = {
  "credentials/a.yaml": "credentials:\n  - name: ci-runners\n    description: CI runners\n    acl: [bind:ci.example.com]\n  - name: device-1\n    description: device one\n",
  "credentials/b.yaml": "credentials:\n  - name: device-2\n    description: device two\n",
};
const ANSI = /\u001b\[\d+m/;
const writes = (calls: { method: string }[]) => calls.filter((c) => c.method !== "GET");

describe("plan --out and apply FILE", () => {
  it("apply FILE applies exactly the saved plan, without asking, and the next plan is empty", async () => {
    const ws = await workspace(emulator, SPECS);
    const plan = await ws.cli(["plan", "--out", "tfplan"]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain("Plan: 3 to create, 0 to update, 0 to delete.");
    expect(plan.stdout).toContain("Saved this plan to tfplan. Apply exactly it with: npm run apply -- tfplan");
    expect((await stat(join(ws.dir, "tfplan"))).mode & 0o777).toBe(0o600);
    expect(writes(await ws.calls())).toEqual([]);

    const apply = await ws.cli(["apply", "tfplan"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply complete: 3 created, 0 updated, 0 replaced, 0 deleted.");
    expect((await ws.credentials()).map((c) => c.description).sort()).toEqual(["CI runners", "device one", "device two"]);
    // The plan file holds no token, and neither does the output.
    const text = await readFile(join(ws.dir, "tfplan"), "utf8");
    expect(text).not.toMatch(/tok_|"token"/);
    expect((await ws.cli(["plan"])).code).toBe(0);
    // Applied once: the account changed, so the same file is refused now.
    const again = await ws.cli(["apply", "tfplan"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: the saved plan tfplan no longer fits, so nothing was applied: the ngrok account changed since/m);
  }, SLOW);

  it("refuses (exit 1, nothing written) when a spec changed since the plan", async () => {
    const ws = await workspace(emulator, SPECS);
    expect((await ws.cli(["plan", "--out", "p.json"])).code).toBe(2);
    await ws.write("credentials/b.yaml", "credentials:\n  - name: device-2\n    description: device TWO\n");
    const apply = await ws.cli(["apply", "p.json"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("the spec files changed since");
    expect(apply.stderr).toContain("Plan again: npm run plan -- --out p.json");
    expect(writes(await ws.calls())).toEqual([]);
    expect(await ws.credentials()).toEqual([]);
  }, SLOW);

  it("refuses when the live account changed since the plan, even by a credential we do not manage", async () => {
    const ws = await workspace(emulator, SPECS);
    expect((await ws.cli(["plan", "--out", "p.json"])).code).toBe(2);
    await ws.api("POST", "/credentials", { description: "made by hand" });
    const before = writes(await ws.calls()).length;
    const apply = await ws.cli(["apply", "p.json"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("the ngrok account changed since");
    expect(writes(await ws.calls())).toHaveLength(before);
    expect((await ws.credentials()).map((c) => c.description)).toEqual(["made by hand"]);
  }, SLOW);

  it("refuses an edited plan file, a plan for another OWNER_ID, and does not write a refused plan", async () => {
    const ws = await workspace(emulator, SPECS);
    expect((await ws.cli(["plan", "--out", "p.json"])).code).toBe(2);
    const path = join(ws.dir, "p.json");
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"device two"', '"device 2"'));
    const edited = await ws.cli(["apply", "p.json"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("was changed after it was written");
    await writeFile(path, text);
    const other = await ws.cli(["apply", "p.json"], { OWNER_ID: "someone-else" });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`it was made as OWNER_ID ${CLI_OWNER_ID}, and OWNER_ID is now someone-else`);
    expect(await ws.credentials()).toEqual([]);

    // A refused plan (MAX_DELETES) is not saved.
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    await ws.write("credentials/a.yaml", "credentials: []\n");
    const refused = await ws.cli(["plan", "--out", "refused.json"], { MAX_DELETES: "1" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no plan file was written");
    await expect(stat(join(ws.dir, "refused.json"))).rejects.toThrow();
    const missing = await ws.cli(["apply", "refused.json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("plan file");
  }, SLOW);
});

describe("--target", () => {
  it("plans and applies only the named credentials; an unknown name is an error", async () => {
    const ws = await workspace(emulator, SPECS);
    const plan = await ws.cli(["plan", "--target", "device-1", "--target", "device-2"]);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain("Plan: 2 to create, 0 to update, 0 to delete.");
    expect(plan.stdout).not.toContain("ci-runners will be created");
    const apply = await ws.cli(["apply", "--yes", "--target", "device-1"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect((await ws.credentials()).map((c) => c.description)).toEqual(["device one"]);
    const typo = await ws.cli(["plan", "--target", "devcie-1"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('--target "devcie-1" names no credential');
    // A saved targeted plan keeps its targets; apply FILE takes no --target of its own.
    expect((await ws.cli(["plan", "--target", "device-2", "--out", "t.json"])).code).toBe(2);
    expect((await ws.cli(["apply", "t.json", "--target", "ci-runners"])).code).toBe(1);
    const saved = await ws.cli(["apply", "t.json"]);
    expect(saved.code, saved.stderr).toBe(0);
    expect((await ws.credentials()).map((c) => c.description).sort()).toEqual(["device one", "device two"]);
  }, SLOW);
});

describe("apply --json", () => {
  it("prints every outcome as JSON and nothing else on stdout; never a token", async () => {
    const ws = await workspace(emulator, SPECS);
    expect((await ws.cli(["apply", "--json"])).code).toBe(1);
    const run = await ws.cli(["apply", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; summary: { create: number }; outcomes: { action: string; name: string; status: string; created_id?: string }[] };
    expect(out.ok).toBe(true);
    expect(out.summary.create).toBe(3);
    expect(out.outcomes.map((o) => `${o.status} ${o.action} ${o.name}`).sort()).toEqual(["done create ci-runners", "done create device-1", "done create device-2"]);
    const ids = (await ws.credentials()).map((c) => c.id).sort();
    expect(out.outcomes.map((o) => o.created_id).sort()).toEqual(ids);
    expect(run.stdout).not.toMatch(/token/i);
    const none = JSON.parse((await ws.cli(["apply", "--yes", "--json"])).stdout) as { outcomes: unknown[] };
    expect(none.outcomes).toEqual([]);
  }, SLOW);
});

describe("colour", () => {
  it("is on for a terminal only, and off with NO_COLOR or --no-color", () => {
    expect(useColor({ tty: true, env: {}, noColor: false })).toBe(true);
    expect(useColor({ tty: false, env: {}, noColor: false })).toBe(false);
    expect(useColor({ tty: true, env: { NO_COLOR: "1" }, noColor: false })).toBe(false);
    expect(useColor({ tty: true, env: { NO_COLOR: "" }, noColor: false })).toBe(true);
    expect(useColor({ tty: true, env: {}, noColor: true })).toBe(false);
    expect(useColor({ tty: true, env: { TERM: "dumb" }, noColor: false })).toBe(false);
    expect(useColor({ tty: false, env: { FORCE_COLOR: "1" }, noColor: false })).toBe(true);
  });

  it("colours the plan when forced, and NO_COLOR and --no-color win over that", async () => {
    const ws = await workspace(emulator, SPECS);
    const coloured = await ws.cli(["plan"], { FORCE_COLOR: "1" });
    expect(coloured.stdout).toMatch(/\u001b\[32m\s*\+ ci-runners will be created/);
    expect((await ws.cli(["plan"])).stdout).not.toMatch(ANSI);
    expect((await ws.cli(["plan"], { FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toMatch(ANSI);
    expect((await ws.cli(["plan", "--no-color"], { FORCE_COLOR: "1" })).stdout).not.toMatch(ANSI);
  }, SLOW);
});

describe("unmanaged", () => {
  it("lists the credentials without our marker (id, created, description), not ours nor another installation's", async () => {
    const ws = await workspace(emulator, SPECS);
    const byHand = await ws.api("POST", "/credentials", { description: "laptop of alice" });
    const noDescription = await ws.api("POST", "/credentials", {});
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    expect((await ws.cli(["apply", "--yes"], { OWNER_ID: "other-installation" })).code).toBe(0);
    const run = await ws.cli(["unmanaged"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+CREATED\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(new RegExp(`^${String(byHand.id)}\\s+${String(byHand.created_at)}\\s+laptop of alice$`));
    expect(lines[2]).toMatch(new RegExp(`^${String(noDescription.id)}\\s+\\S+\\s+\\(no description\\)$`));
    expect(run.stdout).toContain("2 unmanaged of 8 live credentials");
    const json = JSON.parse((await ws.cli(["unmanaged", "--json"])).stdout) as { id: string; created_at: string; description: string }[];
    expect(json).toEqual([
      { kind: "credential", id: byHand.id, created_at: byHand.created_at, description: "laptop of alice" },
      { kind: "credential", id: noDescription.id, created_at: noDescription.created_at, description: "" },
    ]);
  }, SLOW);

  it("lists every kind: service users, API keys and SSH credentials made by hand, each in its own section and in JSON", async () => {
    const ws = await workspace(emulator, { "credentials/a.yaml": "service_users:\n  - name: ci\n" });
    await ws.api("POST", "/service_users", { name: `ci [ngrok-gitops:${CLI_OWNER_ID}]` });
    const user = await ws.api("POST", "/service_users", { name: "made by hand" });
    const key = await ws.api("POST", "/api_keys", { description: "alice's laptop" });
    const run = await ws.cli(["unmanaged"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Service users:\nID");
    expect(run.stdout).toMatch(new RegExp(`${String(user.id)}\\s+\\S+\\s+made by hand`));
    expect(run.stdout).toContain("1 unmanaged of 2 live service users");
    expect(run.stdout).toMatch(new RegExp(`API keys:\\nID[^\\n]*\\n${String(key.id)}\\s+\\S+\\s+alice's laptop`));
    const json = JSON.parse((await ws.cli(["unmanaged", "--json"])).stdout) as { kind: string; id: string }[];
    expect(json.map((item) => [item.kind, item.id])).toEqual(expect.arrayContaining([["service_user", user.id], ["api_key", key.id]]));
    expect(json.some((item) => item.kind === "service_user" && item.id !== user.id)).toBe(false);
  }, SLOW);
});

describe("token store keyed by API URL and OWNER_ID", () => {
  it("two OWNER_IDs on one account keep two stores; token reads the one of its OWNER_ID; an old unkeyed store is pointed out", async () => {
    const ws = await workspace(emulator, { "credentials/a.yaml": "credentials:\n  - name: shared-name\n" });
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    expect((await ws.cli(["apply", "--yes"], { OWNER_ID: "team-b" })).code).toBe(0);
    const mine = JSON.parse(await readFile(join(ws.dir, defaultTokensPath(emulator.url, CLI_OWNER_ID)), "utf8")) as Record<string, { id: string }>;
    const theirs = JSON.parse(await readFile(join(ws.dir, defaultTokensPath(emulator.url, "team-b")), "utf8")) as Record<string, { id: string }>;
    expect(mine["shared-name"]?.id).toMatch(/^cr_/);
    expect(theirs["shared-name"]?.id).toMatch(/^cr_/);
    expect(mine["shared-name"]?.id).not.toBe(theirs["shared-name"]?.id);
    const a = await ws.cli(["token", "shared-name"]);
    const b = await ws.cli(["token", "shared-name"], { OWNER_ID: "team-b" });
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).not.toBe(b.stdout);
    // Another API URL is another store: nothing there yet.
    const elsewhere = await ws.cli(["token", "shared-name"], { NGROK_API_URL: emulator.url.replace("127.0.0.1", "localhost") });
    expect(elsewhere.code).toBe(1);

    await ws.write(".ngrok-gitops/tokens.json", "{}\n");
    const noted = await ws.cli(["plan"], { OWNER_ID: "team-c" });
    expect(noted.stderr).toMatch(/note: \.ngrok-gitops\/tokens\.json is an earlier version's token store/);
  }, SLOW);

  it("an explicit --tokens store is bound to the API URL and OWNER_ID of its first apply; another is refused before any write", async () => {
    const ws = await workspace(emulator, { "credentials/a.yaml": "credentials:\n  - name: shared-name\n" });
    expect((await ws.cli(["apply", "--yes", "--tokens", "my-store.json"])).code).toBe(0);
    expect(JSON.parse(await readFile(join(ws.dir, "my-store.binding.json"), "utf8"))).toEqual({ api_url: emulator.url, owner_id: CLI_OWNER_ID });
    const before = writes(await ws.calls()).length;
    const other = await ws.cli(["apply", "--yes", "--tokens", "my-store.json"], { OWNER_ID: "team-b" });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`the token store ${join(ws.dir, "my-store.json")} belongs to ${emulator.url} as OWNER_ID ${CLI_OWNER_ID}, not ${emulator.url} as OWNER_ID team-b`);
    expect(writes(await ws.calls())).toHaveLength(before);
    expect((await ws.cli(["token", "shared-name", "--tokens", "my-store.json"], { OWNER_ID: "team-b" })).code).toBe(1);
    expect((await ws.cli(["token", "shared-name", "--tokens", "my-store.json"])).code).toBe(0);
  }, SLOW);
});
