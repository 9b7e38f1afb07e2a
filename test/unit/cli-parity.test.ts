// The CLI plans what the Worker plans (rotations by age, deliveries), through the same run core, and says what it cannot do.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { CLI_NO_DELIVERY, runCli, type CliIo } from "../../src/cli/commands.js";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { generateKeyringEntry } from "../../src/vault/keyring.js";

let emulator: StartedEmulator;
const dirs: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function cli(args: string[], env: Record<string, string>, cwd: string) {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), env, cwd, interactive: false, ask: async () => "n" };
  const code = await runCli(args, io);
  return { code, out, err };
}

describe("the CLI plans what the Worker plans", () => {
  it("rotates by ROTATE_AFTER, plans the deliveries, and says it leaves them to the Worker", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-parity-"));
    dirs.push(dir);
    await mkdir(join(dir, "credentials"));
    await writeFile(join(dir, "credentials", "ci.yaml"), "credentials:\n  - name: ci-runners\n    deliver:\n      - github_actions_secret: {repo: acme/site, name: NGROK_AUTHTOKEN}\n");
    const apiKey = `parity_${Date.now()}`;
    const owner = "parity-owner";
    const seeded = await fetch(`${emulator.url}/__emulator/seed`, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Ngrok-Version": "2", "Content-Type": "application/json" },
      body: JSON.stringify({ credentials: [{ created_at: "2020-01-01T00:00:00.000Z", metadata: encodeMetadata(null, { owner, name: "ci-runners" }) }] }),
    });
    expect(seeded.status).toBe(201);
    const env = { NGROK_API_URL: emulator.url, NGROK_API_KEY: apiKey, OWNER_ID: owner, ROTATE_AFTER: "90d", ROTATION_GRACE: "2h", TOKEN_ENCRYPTION_KEYS: generateKeyringEntry("p1") };
    const plan = await cli(["plan", "--json"], env, dir);
    expect(plan.code).toBe(2);
    const parsed = JSON.parse(plan.out) as { changes: { action: string; name: string; retire_at: string }[]; deliveries: { action: string; name: string; target: { key: string } }[] };
    expect(parsed.changes.map((c) => `${c.action} ${c.name}`)).toEqual(["rotate ci-runners"]);
    // ROTATION_GRACE is honoured: the old credential retires about 2 h from now.
    const grace = Date.parse(parsed.changes[0]!.retire_at) - Date.now();
    expect(grace).toBeGreaterThan(3_600_000);
    expect(parsed.deliveries.map((d) => `${d.action} ${d.name} ${d.target.key}`)).toEqual(["deliver ci-runners acme/site:NGROK_AUTHTOKEN"]);
    const text = await cli(["plan"], env, dir);
    expect(text.out).toContain(CLI_NO_DELIVERY);
    const apply = await cli(["apply", "--yes"], env, dir);
    expect(apply.err).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.out).toContain(CLI_NO_DELIVERY);
  });

  it("reports a bad setting by name, with the Worker's own rules", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-parity-"));
    dirs.push(dir);
    await mkdir(join(dir, "credentials"));
    const run = await cli(["plan"], { NGROK_API_URL: emulator.url, NGROK_API_KEY: "k", MAX_DELETES: "ten", ROTATE_AFTER: "90 days" }, dir);
    expect(run.code).toBe(1);
    expect(run.err).toContain("MAX_DELETES");
    expect(run.err).toContain("ROTATE_AFTER");
  });
});
