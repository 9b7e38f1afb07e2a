// The plan/apply/token CLI run in-process (runCli, as the bin runs it) against the emulator: exit codes, output, no token leaks.
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Run, useEmulator } from "../support/cli-harness.js";
import { CLI_OWNER_ID } from "../../src/cli/identity.js";
import { defaultTokensPath } from "../../src/cli/token-path.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";

const { emulator, workspace } = useEmulator();

const TWO = {
  "credentials/ci.yaml": "credentials:\n  - name: ci-runners\n    description: CI runners\n    acl: [bind:ci.example.com]\n",
  "credentials/team/devices.yml": "credentials:\n  - name: device-1\n  - name: device-2\n    metadata: {team: a}\n",
  "credentials/README.md": "not a spec\n",
};

/** Keys with a capital letter anywhere in a JSON value, but not inside metadata (user data). */
function camelKeys(value: unknown, path = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => [...(/[A-Z]/.test(key) ? [`${path}.${key}`] : []), ...(key === "metadata" ? [] : camelKeys(inner, `${path}.${key}`))]);
}

/** Only `token NAME` may print a token. */
function expectNoToken(runs: readonly Run[], tokens: Record<string, string>): void {
  const values = Object.values(tokens);
  expect(values.length).toBeGreaterThan(0);
  expect(runs.some((r) => r.args[0] === "apply" && r.code === 0)).toBe(true);
  for (const run of runs.filter((r) => r.args[0] !== "token")) for (const token of values) {
    expect(run.stdout).not.toContain(token);
    expect(run.stderr).not.toContain(token);
  }
}

describe.concurrent("npm run plan / apply / token", () => {
  it("plan exits 2 with changes planned and makes only GET calls", async () => {
    const ws = await workspace(TWO);
    const run = await ws.cli(["plan"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("+ ci-runners will be created");
    expect(run.stdout).toContain("Plan: 3 to create, 0 to update, 0 to delete.");
    expect((await ws.calls()).every((c) => c.method === "GET")).toBe(true);
    expect(await ws.credentials()).toEqual([]);
  });

  it("invalid specs: each error as file:line:col: field: message, exit 1, no ngrok call", async () => {
    const ws = await workspace({
      "credentials/x.yaml": "credentials:\n  - name: ok-one\n  - name: bad\n    acl: [nope]\n    colour: blue\n",
    });
    for (const args of [["plan"], ["apply", "--yes"]]) {
      const run = await ws.cli(args);
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toContainEqual(expect.stringMatching(/^credentials\/x\.yaml:4:\d+: credentials\[1\] \(bad\)\.acl\[0\]: /));
      expect(lines).toContainEqual(expect.stringMatching(/^credentials\/x\.yaml:5:5: credentials\[1\] \(bad\)(\.colour)?: /));
      expect(lines.at(-1)).toMatch(/^error: 2 errors in 1 spec file; nothing was read from ngrok/);
    }
    expect(await ws.calls()).toEqual([]);
  });

  it("--json prints the plan object, snake_case like the HTTP API", async () => {
    const ws = await workspace(TWO);
    const run = await ws.cli(["plan", "--json"]);
    expect(run.code).toBe(2);
    const plan = JSON.parse(run.stdout) as { status: string; summary: unknown; plan_text: string; changes: { action: string; name: string }[]; refusals: unknown[]; owner_id: string };
    expect(plan.changes.map((c) => `${c.action} ${c.name}`).sort()).toEqual(["create ci-runners", "create device-1", "create device-2"]);
    expect(plan.refusals).toEqual([]);
    expect(plan.owner_id).toBe(CLI_OWNER_ID);
    // What /api/status reports for a plan run: status, summary, plan_text.
    expect(plan.status).toBe("succeeded");
    expect(plan.summary).toEqual({ create: 3, update: 0, delete: 0 });
    expect(plan.plan_text).toContain("Plan: 3 to create, 0 to update, 0 to delete.");
    expect(camelKeys(plan)).toEqual([]);
  });

  it("apply without --yes and without a terminal exits 1 and changes nothing", async () => {
    const ws = await workspace(TWO);
    const run = await ws.cli(["apply"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*pass --yes/m);
    expect(await ws.credentials()).toEqual([]);
    expect((await ws.calls()).every((c) => c.method === "GET")).toBe(true);
    await expect(stat(join(ws.dir, defaultTokensPath(emulator().url, CLI_OWNER_ID)))).rejects.toThrow();
  });

  it("apply --yes converges, keeps tokens encrypted, never prints them; token prints one; guards refuse an emptied folder", async () => {
    const ws = await workspace(TWO);
    const apply = await ws.cli(["apply", "--yes"]);
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/^ {2}✓ create ci-runners \(cr_\w+\)$/m);
    expect(apply.stdout).toContain("Apply complete: 3 created, 0 updated, 0 replaced, 0 deleted.");

    const live = await ws.credentials();
    expect(live).toHaveLength(3);
    const tokens = await ws.tokens();
    const stored = JSON.parse(await readFile(join(ws.dir, defaultTokensPath(emulator().url, CLI_OWNER_ID)), "utf8")) as Record<string, { id: string }>;
    expect(Object.keys(stored).sort()).toEqual(["ci-runners", "device-1", "device-2"]);
    expect((await stat(join(ws.dir, defaultTokensPath(emulator().url, CLI_OWNER_ID)))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(ws.dir, defaultTokensPath(emulator().url, CLI_OWNER_ID), "../intents.json"), "utf8"))).toEqual({ intents: [] });
    for (const token of Object.values(tokens)) expect(JSON.stringify(stored)).not.toContain(token);

    const again = await ws.cli(["plan"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes.");
    const applyAgain = await ws.cli(["apply"]);
    expect(applyAgain.code).toBe(0);

    const ciId = stored["ci-runners"]?.id as string;
    const token = await ws.cli(["token", "ci-runners"]);
    expect(token.code).toBe(0);
    expect(token.stdout).toBe(`${tokens[ciId]}\n`);
    expect(token.stderr).toBe("");

    // Everything removed: the empty-folder guard refuses; --allow-deletes lifts it.
    await rm(join(ws.dir, "credentials/ci.yaml"));
    await rm(join(ws.dir, "credentials/team"), { recursive: true });
    const refused = await ws.cli(["plan"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("Refused: nothing will be applied.");
    const refusedApply = await ws.cli(["apply", "--yes"]);
    expect(refusedApply.code).toBe(1);
    expect(await ws.credentials()).toHaveLength(3);
    const allowed = await ws.cli(["plan", "--allow-deletes"]);
    expect(allowed.code).toBe(2);
    expect(allowed.stdout).toContain("Plan: 0 to create, 0 to update, 3 to delete.");

    expectNoToken(ws.runs, tokens);
  });

  it("token: unknown name exits 1; --dir and .dev.vars are honoured", async () => {
    const ws = await workspace({ "specs/one.yaml": "credentials:\n  - name: only-one\n" });
    const keys = generateKeyringEntry("dv1");
    await writeFile(join(ws.dir, ".dev.vars"), `# local\nTOKEN_ENCRYPTION_KEYS="${keys}"\nOWNER_ID=from-dev-vars\n`);
    const missing = await ws.cli(["plan"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no credentials folder at .*--dir PATH/m);

    const apply = await ws.cli(["apply", "--yes", "--dir", "specs", "--tokens", "state/t.json"], { TOKEN_ENCRYPTION_KEYS: undefined });
    expect(apply.code).toBe(0);
    expect(JSON.parse(await readFile(join(ws.dir, "state/t.intents.json"), "utf8"))).toEqual({ intents: [] });
    const [live] = await ws.credentials();
    expect(JSON.stringify(live)).toContain("from-dev-vars");
    const token = await ws.cli(["token", "only-one", "--tokens", "state/t.json"], { TOKEN_ENCRYPTION_KEYS: undefined });
    expect(token.stdout).toBe(`${(await ws.tokens())[live?.id as string]}\n`);

    const nope = await ws.cli(["token", "nope", "--tokens", "state/t.json"]);
    expect(nope.code).toBe(1);
    expect(nope.stdout).toBe("");
    expect(nope.stderr).toBe('error: no token stored for "nope"\n');
    expectNoToken(ws.runs, await ws.tokens());
  });

  it("configuration errors: no API key for a real API, no encryption key for apply, bad usage", async () => {
    const ws = await workspace(TWO);
    const real = await ws.cli(["plan"], { NGROK_API_URL: "https://api.ngrok.invalid", NGROK_API_KEY: undefined });
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(/^error: NGROK_API_KEY is not set/);
    const noKeys = await ws.cli(["apply", "--yes"], { TOKEN_ENCRYPTION_KEYS: undefined });
    expect(noKeys.code).toBe(1);
    expect(noKeys.stderr).toMatch(/^error: TOKEN_ENCRYPTION_KEYS is not set.*npm start/);
    expect(await ws.credentials()).toEqual([]);
    const usage = await ws.cli(["plan", "--yes"]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toBe("error: --yes does not apply to plan\n");
    const help = await ws.cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage:");
    expect(`${real.stderr}${noKeys.stderr}`).not.toContain("    at ");
  });

  it("no emulator on the default target: the error names the command that starts one on that port", async () => {
    const ws = await workspace(TWO);
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer().once("error", reject);
      probe.listen({ port: 0, host: "127.0.0.1" }, () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const run = await ws.cli(["plan"], { NGROK_API_URL: undefined, NGROK_API_KEY: undefined, EMULATOR_PORT: String(port) });
    expect(run.code).toBe(1);
    // `npm run emulator` alone fails for want of --port, so the hint must carry it.
    expect(run.stderr).toContain(`at http://127.0.0.1:${port}; is the emulator running? (\`npm start\`, or \`npm run emulator -- --port ${port}\`)`);
    expect(run.stderr).not.toContain("    at ");
  });
});
