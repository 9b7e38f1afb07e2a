// The CLI's small parts in process: .dev.vars parsing, the file intent log, config defaults, port checks, Worker status reading.
import { createServer, type Server } from "node:net";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_API_KEY, mergeVars, ngrokTarget, runConfig } from "../../src/cli/config.js";
import { freshDevVars, ensureDevVars } from "../../dev/dev-vars.js";
import { parseDotenv } from "../../src/cli/dotenv.js";
import { FileIntentLog, intentsPathFor } from "../../src/cli/file-intents.js";
import { assertPortsFree } from "../../dev/listen-ports.js";
import { formatRun, isFinished, isSuccess, readStatus } from "../../dev/run-status.js";
import { importKeyring } from "../../src/vault/keyring.js";

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-cli-parts-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("parseDotenv", () => {
  it("reads KEY=VALUE lines with comments, quotes and export", () => {
    const vars = parseDotenv(
      ['# comment', "", "A=1", "export B = two words # note", 'C="quoted # kept\\nline"', "D='single'", "not a line", "E=", "F=a=b"].join("\n"),
    );
    expect(vars).toEqual({ A: "1", B: "two words", C: "quoted # kept\nline", D: "single", E: "", F: "a=b" });
  });
});

describe("config", () => {
  it("environment wins over .dev.vars; empty counts as unset", () => {
    expect(mergeVars({ A: "env", B: "" }, { A: "file", B: "file", C: "file" })).toEqual({ A: "env", B: "file", C: "file" });
  });

  it("defaults to the emulator with the local key; a real API needs a key", () => {
    expect(ngrokTarget({})).toEqual({ url: "http://127.0.0.1:8788", apiKey: LOCAL_API_KEY, emulator: true });
    expect(ngrokTarget({ EMULATOR_PORT: "9999" }).url).toBe("http://127.0.0.1:9999");
    expect(() => ngrokTarget({ NGROK_API_URL: "https://api.ngrok.com" })).toThrow(/NGROK_API_KEY is not set/);
    expect(ngrokTarget({ NGROK_API_URL: "https://api.ngrok.com", NGROK_API_KEY: "k" })).toEqual({ url: "https://api.ngrok.com", apiKey: "k", emulator: false });
    expect(runConfig({}).maxDeletes).toBe(10);
    expect(runConfig({ MAX_DELETES: "0" }).maxDeletes).toBe(0);
    expect(() => runConfig({ MAX_DELETES: "-1" })).toThrow(/MAX_DELETES/);
  });
});

describe("FileIntentLog", () => {
  it("keeps open intents across instances, in a 0600 file replaced atomically", async () => {
    const dir = await tempDir();
    const path = intentsPathFor(join(dir, "state", "tokens.json"));
    expect(path).toBe(join(dir, "state", "intents.json"));
    expect(intentsPathFor(join(dir, "other.json"))).toBe(join(dir, "other.intents.json"));
    const log = new FileIntentLog(path);
    expect(await log.list()).toEqual([]);
    await Promise.all([log.open({ name: "a", nonce: "n1" }), log.open({ name: "b", nonce: "n2" }), log.open({ name: "a", nonce: "n3" })]);
    await log.close({ name: "a", nonce: "n1" });
    const reopened = new FileIntentLog(path);
    expect(await reopened.list()).toEqual([
      { name: "a", nonce: "n3" },
      { name: "b", nonce: "n2" },
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, "state"))).toEqual(["intents.json"]);
  });

  it("never overwrites a file it cannot parse", async () => {
    const dir = await tempDir();
    const path = join(dir, "intents.json");
    await writeFile(path, "{ not json");
    const log = new FileIntentLog(path);
    await expect(log.open({ name: "a", nonce: "n" })).rejects.toMatchObject({ code: "CLI_INTENTS_INVALID" });
    await expect(log.list()).rejects.toThrow(/not valid JSON/);
    expect(await readFile(path, "utf8")).toBe("{ not json");
    await writeFile(path, JSON.stringify({ intents: [{ name: "a" }] }));
    await expect(log.list()).rejects.toThrow(/intents\.0\.nonce: /);
  });
});

describe("npm start helpers", () => {
  it("writes .dev.vars once with every secret the Worker needs, and never overwrites it", async () => {
    const dir = await tempDir();
    const first = await ensureDevVars(dir);
    expect(first.created).toBe(true);
    expect(first.vars.NGROK_API_KEY).toBe(LOCAL_API_KEY);
    await expect(importKeyring(first.vars.TOKEN_ENCRYPTION_KEYS)).resolves.toMatchObject({ current: { kid: "local1" } });
    expect((await stat(join(dir, ".dev.vars"))).mode & 0o777).toBe(0o600);
    const second = await ensureDevVars(dir);
    expect(second).toEqual({ vars: first.vars, created: false });
    expect(freshDevVars()).not.toBe(freshDevVars());
    await writeFile(join(dir, ".dev.vars"), "NGROK_API_KEY=x\n");
    await expect(ensureDevVars(dir)).rejects.toThrow(/lacks GITHUB_WEBHOOK_SECRET, GITHUB_TOKEN, TOKEN_ENCRYPTION_KEYS, ADMIN_TOKEN/);
    expect(await readFile(join(dir, ".dev.vars"), "utf8")).toBe("NGROK_API_KEY=x\n");
  });

  it("names a taken port and the variable that moves it", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await expect(assertPortsFree([{ role: "the Worker", variable: "WORKER_PORT", port }])).rejects.toThrow(
        `port ${port} on 127.0.0.1 (the Worker) is in use; set WORKER_PORT to another port`,
      );
      await expect(
        assertPortsFree([
          { role: "a", variable: "A_PORT", port: 1 },
          { role: "b", variable: "B_PORT", port: 1 },
        ]),
      ).rejects.toThrow(/B_PORT and A_PORT are both 1/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reads /api/status tolerantly and prints a run", () => {
    const status = readStatus({
      current: null,
      last: {
        id: 7,
        cause: "push",
        sha: "abcdef1234567890",
        status: "failed",
        plan_text: "  + a will be created\n\nPlan: 1 to create, 0 to update, 0 to delete.\n",
        outcomes: [
          { action: "create", name: "a", status: "done", created_id: "cr_new" },
          { action: "update", name: "b", status: "failed", id: "cr_b", error: "boom" },
          { action: "delete", name: "c", status: "not_attempted", id: "cr_c" },
          { nonsense: true },
        ],
        errors: ["update b: boom", "other problem"],
      },
      queued: [],
    });
    expect(status.current).toBeNull();
    const run = status.last;
    expect(run?.id).toBe("7");
    expect(run && isFinished(run)).toBe(true);
    expect(run && isSuccess(run)).toBe(false);
    const text = formatRun(run as NonNullable<typeof run>);
    expect(text).toContain("Run 7 (push) for abcdef1: failed");
    expect(text).toContain("  ✓ create a (cr_new)");
    expect(text).toContain("  ✗ update b (cr_b): boom");
    expect(text).toContain("  · delete c (cr_c) (not attempted)");
    expect(text.match(/boom/g)).toHaveLength(1);
    expect(text).toContain("Errors:\n  other problem");
    expect(readStatus({ last: { id: 1, sha: "x", status: "running" } }).last?.status).toBe("running");
    expect(isFinished(readStatus({ last: { id: 1, sha: "x", status: "running" } }).last as NonNullable<typeof run>)).toBe(false);
    expect(isSuccess(readStatus({ last: { id: 1, sha: "x", status: "skipped" } }).last as NonNullable<typeof run>)).toBe(true);
    expect(readStatus({ last: { sha: "x", status: "running" } }).last).toBeNull();
    expect(readStatus("nope")).toEqual({ current: null, last: null, held: null, progress: null });
  });
});
