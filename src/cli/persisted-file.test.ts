// The CLI's own files that do not read back are refused with the file and the field named, never a TypeError or a silent default.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readAppliedSpecs } from "./applied-specs.js";
import { FileIntentLog } from "./file-intents.js";
import { bindingPathFor, checkStoreBinding } from "./token-path.js";

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-persisted-"));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("the CLI's persisted files", () => {
  it("an intent log entry without a nonce names the file and the field", async () => {
    const path = join(await tempDir(), "intents.json");
    await writeFile(path, JSON.stringify({ intents: [{ name: "a", nonce: "n" }, { name: "b" }] }));
    await expect(new FileIntentLog(path).list()).rejects.toMatchObject({ code: "CLI_INTENTS_INVALID", message: expect.stringMatching(new RegExp(`intent log ${path} does not read back: intents\\.1\\.nonce: `)) });
  });

  it("applied specs whose source has no content name the file and the field", async () => {
    const path = join(await tempDir(), "applied.json");
    await writeFile(path, JSON.stringify({ applied_at: "2026-01-01T00:00:00.000Z", sources: [{ path: "credentials/a.yaml", content: 1 }] }));
    await expect(readAppliedSpecs(path)).rejects.toMatchObject({ code: "CLI_APPLIED_INVALID", message: expect.stringMatching(/does not read back: sources\.0\.content: .*remove it/) });
    await writeFile(path, JSON.stringify({ applied_at: "2026-01-01T00:00:00.000Z", sources: [{ path: "credentials/a.yaml", content: "credentials: []\n" }] }));
    expect(await readAppliedSpecs(path)).toEqual({ label: "the last apply from here (2026-01-01T00:00:00.000Z)", sources: [{ path: "credentials/a.yaml", content: "credentials: []\n" }] });
  });

  it("a token store binding that is JSON but not an object is refused naming the file (it was a TypeError)", async () => {
    const tokens = join(await tempDir(), "tokens.json");
    await writeFile(bindingPathFor(tokens), "null");
    await expect(checkStoreBinding(tokens, "http://127.0.0.1:8787", "usr_1", false)).rejects.toMatchObject({ code: "CLI_CONFIG", message: expect.stringMatching(/does not read back: \(file\): .*fix or remove it/) });
    await writeFile(bindingPathFor(tokens), JSON.stringify({ api_url: "http://127.0.0.1:8787", owner_id: "usr_1" }));
    await expect(checkStoreBinding(tokens, "http://127.0.0.1:8787", "usr_1", false)).resolves.toBeUndefined();
  });
});
