// Policy and expiry through the CLI, run in-process (runCli) against the emulator: the policy beside --dir or
// --policy PATH judges the specs (nothing applied while any rule is broken), and expired credentials are deleted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { cleanupWorkspaces, workspace } from "../support/cli-harness.js";

let emulator: StartedEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
  await cleanupWorkspaces();
});

const POLICY = "require:\n  - description\nacl:\n  allow:\n    - \"*.example.com\"\n  deny_unrestricted: true\n";
const GOOD = "credentials:\n  - name: web\n    description: web tunnels\n    acl: [bind:web.example.com]\n";
const BAD = "credentials:\n  - name: web\n    description: web tunnels\n    acl: [bind:evil.acme.io]\n  - name: bare\n";
const day = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const writes = (calls: { method: string }[]) => calls.filter((c) => c.method !== "GET");

describe("repository policy in the CLI", () => {
  it("the policy beside the credentials folder refuses a bad spec at its line, naming the rule; nothing is applied", async () => {
    const ws = await workspace(emulator, { "ngrok-gitops.policy.yaml": POLICY, "credentials/a.yaml": BAD });
    const apply = await ws.cli(["apply", "--yes"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(
      [
        'credentials/a.yaml:4:11: credentials[0].acl[0]: "web" breaks policy acl.allow (ngrok-gitops.policy.yaml:5): "bind:evil.acme.io" falls under no allowed pattern (*.example.com)',
        'credentials/a.yaml:5:5: credentials[1]: "bare" breaks policy require (ngrok-gitops.policy.yaml:2): sets no description',
        'credentials/a.yaml:5:5: credentials[1]: "bare" breaks policy acl.deny_unrestricted (ngrok-gitops.policy.yaml:6): has no acl, so it can bind anything; list the bind targets it needs',
        "error: 3 errors in 1 spec file; nothing was read from ngrok or changed",
      ].join("\n"),
    );
    expect(await ws.calls()).toEqual([]);
    // The same specs without the policy plan fine: the refusal is the policy's.
    await ws.write("lenient.yaml", "require: []\n");
    const unjudged = await ws.cli(["plan", "--policy", "lenient.yaml"]);
    expect(unjudged.code, unjudged.stderr).toBe(2);
  });

  it("--policy PATH judges with that file; specs within it plan and apply", async () => {
    const ws = await workspace(emulator, { "policies/strict.yaml": POLICY, "credentials/a.yaml": GOOD });
    expect((await ws.cli(["plan", "--policy", "policies/strict.yaml"])).code).toBe(2);
    await ws.write("credentials/a.yaml", BAD);
    const refused = await ws.cli(["plan", "--policy", "policies/strict.yaml"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"web" breaks policy acl.allow (policies/strict.yaml:5)');
    const missing = await ws.cli(["plan", "--policy", "nowhere.yaml"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no policy file at \S*nowhere\.yaml/m);
  });

  it("an invalid policy file is an error at its line, and nothing is planned", async () => {
    const ws = await workspace(emulator, { "ngrok-gitops.policy.yaml": "require: [description]\nmax_lifetime: forever\n", "credentials/a.yaml": GOOD });
    const plan = await ws.cli(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/ngrok-gitops\.policy\.yaml:2:\d+: max_lifetime/);
    expect(await ws.calls()).toEqual([]);
  });
});

describe("expiry in the CLI", () => {
  it("a spec past its expires is deleted (reason expired) and never created again; one expiring soon is announced", async () => {
    const soon = isoDate(Date.now() + 3 * day);
    const ws = await workspace(emulator, { "credentials/a.yaml": `credentials:\n  - name: temp\n    description: contractor\n  - name: soon\n    expires: ${soon}\n` });
    const created = await ws.cli(["apply", "--yes"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`expires on ${soon}`);
    expect((await ws.credentials()).map((c) => c.description ?? "").sort()).toEqual(["", "contractor"]);

    await ws.write("credentials/a.yaml", `credentials:\n  - name: temp\n    description: contractor\n    expires: 2000-01-01\n  - name: soon\n    expires: ${soon}\n`);
    const plan = await ws.cli(["plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/- temp \(cr_\w+\) will be deleted\n.*# expired: its expires date was never applied while still ahead, so MAX_DELETES counts this delete/);
    const applied = await ws.cli(["apply", "--yes"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await ws.credentials()).map((c) => c.description ?? "")).toEqual([""]);
    // Already expired: never created again, and the next plan has nothing to do.
    const after = await ws.cli(["plan"]);
    expect(after.code, after.stdout).toBe(0);
    expect(writes(await ws.calls()).filter((c) => c.method === "POST")).toHaveLength(2);
  });
});
