// The CLI refuses a token-store folder its group or everyone may write to (the files are 0600, the folder must be private too).
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../../standins/ngrok/server.js";
import { cleanupWorkspaces, SLOW, workspace } from "../support/cli-harness.js";

let emulator: StartedEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
  await cleanupWorkspaces();
});

it.skipIf(process.platform === "win32")(
  "token and apply refuse a group- or world-writable store folder with a message naming it, and work again once it is private",
  async () => {
    const ws = await workspace(emulator, { "credentials/one.yaml": "credentials:\n  - name: only-one\n" });
    expect((await ws.cli(["apply", "--yes", "--tokens", "state/t.json"])).code).toBe(0);
    const folder = join(ws.dir, "state");
    const before = await readFile(join(folder, "t.json"), "utf8");
    for (const mode of [0o777, 0o770, 0o702]) {
      await chmod(folder, mode);
      const token = await ws.cli(["token", "only-one", "--tokens", "state/t.json"]);
      expect(token.code).toBe(1);
      expect(token.stdout).toBe("");
      expect(token.stderr).toContain(`the token store's folder ${folder} is writable by`);
      expect(token.stderr).toContain(`chmod 700 ${folder}`);
    }
    await chmod(folder, 0o777);
    const apply = await ws.cli(["apply", "--yes", "--tokens", "state/t.json"], {});
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("writable by its group and everyone (mode 777)");
    expect(await readFile(join(folder, "t.json"), "utf8")).toBe(before);
    await chmod(folder, 0o700);
    const token = await ws.cli(["token", "only-one", "--tokens", "state/t.json"]);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^\S+\n$/);
  },
  SLOW,
);
