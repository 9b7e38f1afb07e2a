// Service users, credentials, API keys and SSH credentials from one tree through the CLI (`npm run plan|apply`): apply from empty, no changes after, a lost create answer, teardown in order.
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CLI_OWNER_ID } from "../../src/cli/identity.js";
import { defaultTokensPath } from "../../src/cli/token-path.js";
import { describe, expect, it } from "vitest";
import { SLOW, useEmulator, type Workspace } from "../support/cli-harness.js";
import { kindsTree } from "../support/kinds-tree.js";

const { emulator, workspace } = useEmulator();

const TREE = kindsTree();

interface Item {
  id: string;
  name?: string;
  owner_id?: string;
}
const list = async (ws: Workspace, path: string, field: string) => ((await ws.api("GET", `${path}?limit=100`))[field] ?? []) as Item[];
const account = async (ws: Workspace) => ({ users: await list(ws, "/service_users", "service_users"), credentials: await list(ws, "/credentials", "credentials"), keys: await list(ws, "/api_keys", "keys"), ssh: await list(ws, "/ssh_credentials", "ssh_credentials") });
const writes = async (ws: Workspace, from: number) => (await ws.calls()).slice(from).filter((c) => c.method !== "GET").map((c) => `${c.method} ${(c.path ?? "").split("/")[1]}`);

describe("every kind from one tree, through the CLI", () => {
  it(
    "applies from empty (service users first), plans no changes, recovers a lost create answer, tears down in order",
    async () => {
      const ws = await workspace({ "credentials/all.yaml": TREE });
      const plan = await ws.cli(["plan"]);
      expect(plan.code, plan.stderr).toBe(2);
      expect(plan.stdout).toContain("+ service_users/ci will be created");
      expect(plan.stdout).toContain("+ ssh_credentials/bastion will be created");

      const apply = await ws.cli(["apply", "--yes"]);
      expect(apply.code, apply.stderr + apply.stdout).toBe(0);
      const made = await writes(ws, 0);
      expect(made[0]).toBe("POST service_users");
      expect(made.slice(1).sort()).toEqual(["POST api_keys", "POST credentials", "POST ssh_credentials"]);
      const { users, credentials, keys, ssh } = await account(ws);
      expect(users).toHaveLength(1);
      expect(users[0]?.name).toMatch(/^ci \[ngrok-gitops:[^\]]+\]$/);
      expect([...credentials, ...keys, ...ssh].map((item) => item.owner_id)).toEqual([users[0]!.id, users[0]!.id, users[0]!.id]);
      const again = await ws.cli(["plan"]);
      expect(again.code, again.stdout).toBe(0);
      expect(again.stdout).toContain("No changes.");

      // A second API key whose create lands but whose answer is lost: the apply fails, its intent stays open.
      await ws.write("credentials/all.yaml", TREE.replace("ssh_credentials:", "  - name: release\n    owner: ci\nssh_credentials:"));
      await ws.api("POST", "/__emulator/faults", { faults: [{ method: "POST", path: "/api_keys", commitThenFail: true, status: 502 }] });
      expect((await ws.cli(["apply", "--yes"])).code).toBe(1);
      await ws.api("DELETE", "/__emulator/faults");
      const before = (await ws.calls()).length;
      const recovered = await ws.cli(["apply", "--yes"]);
      expect(recovered.code, recovered.stderr + recovered.stdout).toBe(0);
      expect((await writes(ws, before)).sort()).toEqual(["DELETE api_keys", "POST api_keys"]);
      expect((await account(ws)).keys).toHaveLength(2);
      expect((await ws.cli(["plan"])).stdout).toContain("No changes.");

      // Teardown: five deletes are past MAX_DELETES=3 until allowed; the service user goes last.
      await ws.write("credentials/all.yaml", "credentials: []\n");
      const refused = await ws.cli(["apply", "--yes"], { MAX_DELETES: "3" });
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toContain("MAX_DELETES");
      const start = (await ws.calls()).length;
      const down = await ws.cli(["apply", "--yes", "--allow-deletes"], { MAX_DELETES: "3" });
      expect(down.code, down.stderr + down.stdout).toBe(0);
      const deletes = await writes(ws, start);
      expect(deletes).toHaveLength(5);
      expect(deletes.at(-1)).toBe("DELETE service_users");
      expect(await account(ws)).toEqual({ users: [], credentials: [], keys: [], ssh: [] });
      // No secret was ever printed: the API keys' tokens went to the token store only.
      const printed = ws.runs.map((r) => r.stdout + r.stderr).join("\n");
      expect(printed).not.toMatch(/"token"\s*:\s*"[^"]/);
    },
    SLOW,
  );

  it(
    "a saved plan is refused when a service user, API key or SSH credential changed on the account since, as for credentials",
    async () => {
      const ws = await workspace({ "credentials/all.yaml": TREE });
      expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
      await ws.write("credentials/all.yaml", TREE.replace("description: CI deploys", "description: CI deploys and releases"));
      expect((await ws.cli(["plan", "--out", "p.json"])).code).toBe(2);
      // An API key made by hand: no change of the plan, but not the account the plan was made against.
      await ws.api("POST", "/api_keys", { description: "made by hand" });
      const before = (await ws.calls()).length;
      const apply = await ws.cli(["apply", "p.json"]);
      expect(apply.code, apply.stdout).toBe(1);
      expect(apply.stderr).toContain("a service user, API key or SSH credential was created, changed or deleted");
      expect(await writes(ws, before)).toEqual([]);
      // Planned again, it applies.
      expect((await ws.cli(["plan", "--out", "p.json"])).code).toBe(2);
      const fresh = await ws.cli(["apply", "p.json"]);
      expect(fresh.code, fresh.stderr + fresh.stdout).toBe(0);
      expect(await writes(ws, before)).toEqual(["PATCH api_keys"]);
    },
    SLOW,
  );

  it(
    "removing every kind's specs tears down what they made even when the applied specs are gone: the kinds applied are kept beside the token store",
    async () => {
      const ws = await workspace({ "credentials/all.yaml": TREE });
      expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
      expect(JSON.parse(await readFile(join(ws.dir, dirname(defaultTokensPath(emulator().url, CLI_OWNER_ID)), "kinds.json"), "utf8"))).toEqual({ kinds: ["service_users", "api_keys", "ssh_credentials"] });
      await rm(join(ws.dir, dirname(defaultTokensPath(emulator().url, CLI_OWNER_ID)), "applied.json"));
      await ws.write("credentials/all.yaml", "credentials: []\n");
      const down = await ws.cli(["apply", "--yes", "--allow-deletes"]);
      expect(down.code, down.stderr + down.stdout).toBe(0);
      expect(await account(ws)).toEqual({ users: [], credentials: [], keys: [], ssh: [] });
      // Empty of ours, the kinds leave the record at the next apply: nothing listed for them after.
      expect((await ws.cli(["apply", "--yes"])).code).toBe(0);
      expect(JSON.parse(await readFile(join(ws.dir, dirname(defaultTokensPath(emulator().url, CLI_OWNER_ID)), "kinds.json"), "utf8"))).toEqual({ kinds: [] });
    },
    SLOW,
  );
});
