// The CLI in pipelines: `validate` works offline, and `plan --owner-id` previews another installation read-only (the bin as its own process: test/e2e/cli-bin.test.ts).
import { describe, expect, it } from "vitest";
import { START_OWNER_ID } from "../../src/cli/identity.js";
import { encodeMetadata } from "../../src/ownership/marker.js";
import { useEmulator } from "../support/cli-harness.js";

const { emulator, workspace } = useEmulator();

const SPECS = { "credentials/ci.yaml": "credentials:\n  - name: ci-runners\n    acl: [bind:ci.example.com]\n" };

describe("validate", () => {
  it("offline: no API key, no ngrok call; exit 0 when valid", async () => {
    const ws = await workspace(SPECS);
    const offline = { NGROK_API_URL: "https://api.ngrok.com", NGROK_API_KEY: undefined, TOKEN_ENCRYPTION_KEYS: undefined };
    const ok = await ws.cli(["validate"], offline);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("1 credential in 1 spec file: valid.\n");
    const json = await ws.cli(["validate", "--json"], offline);
    expect(JSON.parse(json.stdout)).toEqual({ status: "valid", files: 1, credentials: 1, errors: [] });
    expect(await ws.calls()).toEqual([]);
  });

  it("exit 1 with every error as file:line:col, and --json lists them", async () => {
    const ws = await workspace({ ...SPECS, "credentials/b.yaml": "credentials:\n  - name: ci-runners\n    descripton: x\n" });
    const bad = await ws.cli(["validate"], { NGROK_API_KEY: undefined });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^credentials\/b\.yaml:3:5: credentials\[0\] \(ci-runners\)\.descripton: unknown key "descripton": did you mean "description"\?/),
      'credentials/ci.yaml:2:11: credentials[0] (ci-runners).name: "ci-runners" is already defined at credentials/b.yaml:2:11; names are unique across all files',
      "error: 2 errors in 2 spec files",
    ]);
    const json = await ws.cli(["validate", "--json"]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { status: string; errors: { code: string; file: string; line: number; column: number; field: string; item?: string }[] };
    expect(parsed.status).toBe("invalid");
    expect(parsed.errors.map((e) => [e.code, `${e.file}:${e.line}:${e.column}`, e.field, e.item])).toEqual([
      ["UNKNOWN_KEY", "credentials/b.yaml:3:5", "credentials[0].descripton", "ci-runners"],
      ["DUPLICATE_NAME", "credentials/ci.yaml:2:11", "credentials[0].name", "ci-runners"],
    ]);
    expect(await ws.calls()).toEqual([]);
  });
});

describe("plan --owner-id", () => {
  it("previews as another installation, read-only: its credentials are managed, not another installation's", async () => {
    const ws = await workspace(SPECS);
    // What npm start's Worker made: a credential carrying its marker.
    await ws.api("POST", "/credentials", { acl: ["bind:ci.example.com"], metadata: encodeMetadata(null, { owner: START_OWNER_ID, name: "ci-runners" }) });
    const before = (await ws.calls()).length;
    const mine = await ws.cli(["plan", "--json"]);
    expect(mine.code).toBe(2);
    expect((JSON.parse(mine.stdout) as { foreign: number }).foreign).toBe(1);
    const preview = await ws.cli(["plan", "--json", "--owner-id", START_OWNER_ID]);
    expect(preview.code).toBe(0);
    const plan = JSON.parse(preview.stdout) as { owner_id: string; foreign: number; unchanged: string[]; changes: unknown[] };
    expect(plan).toMatchObject({ owner_id: START_OWNER_ID, foreign: 0, unchanged: ["ci-runners"], changes: [] });
    expect(preview.stderr).toContain(`previewing as OWNER_ID ${START_OWNER_ID}`);
    expect((await ws.calls()).slice(before).every((c) => c.method === "GET")).toBe(true);
  });

  it("apply refuses it, changing nothing; so does plan --out", async () => {
    const ws = await workspace(SPECS);
    const apply = await ws.cli(["apply", "--yes", "--owner-id", START_OWNER_ID]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/^error: apply refuses --owner-id: it only previews another installation/);
    const out = await ws.cli(["plan", "--owner-id", START_OWNER_ID, "--out", "p.json"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: plan --owner-id is a read-only preview/);
    expect(await ws.calls()).toEqual([]);
  });
});
