// The CLI through the same core: reviewed settings compared with the specs it last applied (exit 2 when only they
// changed), and an expires date already past when applied counts toward MAX_DELETES.
import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_OWNER_ID } from "../../src/cli/identity.js";
import { defaultTokensPath } from "../../src/cli/token-path.js";
import { SLOW, useEmulator } from "../support/cli-harness.js";

const { emulator, workspace } = useEmulator();

const names = ["a", "b", "c", "d"];
const specs = (extra: string) => ({ "credentials/a.yaml": `credentials:\n${names.map((n) => `  - name: ${n}\n${extra}`).join("")}` });

describe.concurrent("CLI reviewed settings and expiry", () => {
  it("a settings-only change plans exit 2 with its line, against the last apply from this store", async () => {
    const ws = await workspace(specs(""));
    const first = await ws.cli(["plan"]);
    expect(first.stdout).toContain("reviewed settings (rotate_after, expires, deliver, prevent_destroy, import) are not compared: nothing has been applied yet");
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    // Beside the token store this account and owner use.
    await access(join(ws.dir, dirname(defaultTokensPath(emulator().url, CLI_OWNER_ID)), "applied.json"));
    await ws.write("credentials/a.yaml", specs("    rotate_after: 90d\n")["credentials/a.yaml"]);
    const plan = await ws.cli(["plan"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("No ngrok changes: the account matches the specs.");
    expect(plan.stdout).toContain("  ~ a: rotate_after (none) → 90d\n");
    expect(plan.stdout).toContain("4 reviewed settings changed since the last apply from here");
    const json = JSON.parse((await ws.cli(["plan", "--json"])).stdout) as { settings: unknown[] };
    expect(json.settings).toContainEqual({ name: "d", setting: "rotate_after", before: null, after: "90d" });
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    const after = await ws.cli(["plan"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain("No changes. The ngrok account matches the specs.");
  }, SLOW);

  it("expires set to a past date on more credentials than MAX_DELETES is refused, and nothing is deleted", async () => {
    const ws = await workspace(specs(""));
    expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
    await ws.write("credentials/a.yaml", specs("    expires: 2000-01-01\n")["credentials/a.yaml"]);
    const refused = await ws.cli(["apply", "--yes"], { MAX_DELETES: "3" });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("[MAX_DELETES] the plan ends 4 credentials");
    expect(await ws.credentials()).toHaveLength(4);
  }, SLOW);
});
