// The ngrok-gitops bin as its own process (node_modules/.bin and npx): --json prints only JSON on stdout, the exit code
// is the command's, and with stdin not a terminal apply asks nothing. test/unit/ runs the same commands in-process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useEmulator } from "../support/cli-harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const { emulator, workspace } = useEmulator();

/** A command as a pipeline runs it: its own process, stdin a pipe that is closed at once, no terminal. */
function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env } as unknown as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const SPECS = { "credentials/ci.yaml": "credentials:\n  - name: ci-runners\n    acl: [bind:ci.example.com]\n" };
const BIN = join(ROOT, "node_modules/.bin/ngrok-gitops");

describe("the ngrok-gitops bin", () => {
  it("node_modules/.bin/ngrok-gitops plan --json prints only JSON", async () => {
    const ws = await workspace(SPECS);
    const out = await run(BIN, ["plan", "--json"], ws.dir, ws.env);
    expect(out.code).toBe(2);
    expect((JSON.parse(out.stdout) as { changes: { name: string }[] }).changes.map((c) => c.name)).toEqual(["ci-runners"]);
  });

  it("npx ngrok-gitops in the checkout runs the bin, and --json prints only JSON (no npm banner)", async () => {
    const ws = await workspace(SPECS);
    const out = await run("npx", ["ngrok-gitops", "plan", "--json", "--dir", join(ws.dir, "credentials")], ROOT, ws.env);
    expect(out.code).toBe(2);
    expect(out.stdout.startsWith("{")).toBe(true);
    expect((JSON.parse(out.stdout) as { owner_id: string; status: string }).status).toBe("succeeded");
  });

  it("apply with stdin not a terminal asks nothing: exit 1 naming --yes, nothing created", async () => {
    const ws = await workspace(SPECS);
    const out = await run(BIN, ["apply"], ws.dir, ws.env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: .*pass --yes/m);
    expect(await ws.credentials()).toEqual([]);
  });
});
