// The CLI's file store: one JSON object keyed by name, written atomically through a temp file, mode 0600.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TOKENS_PATH, FileTokenStore } from "./file-store.js";
import type { StoredToken } from "./store.js";

const faults = vi.hoisted(() => ({ failRename: false }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (faults.failRename) throw Object.assign(new Error("EIO: simulated crash before rename"), { code: "EIO" });
      return actual.rename(from, to);
    },
  };
});

const entry = (name: string, id = `cr_${name}`): StoredToken => ({
  name,
  id,
  sealed: { v: 1, kid: "k1", iv: "AAAAAAAAAAAAAAAA", ct: `c2VhbGVk${name}` },
  stored_at: "2026-11-25T10:00:00.000Z",
});

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vault-file-store-"));
  path = join(dir, "nested", ".ngrok-gitops", "tokens.json");
  faults.failRename = false;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FileTokenStore", () => {
  it("defaults to .ngrok-gitops/tokens.json", () => {
    expect(DEFAULT_TOKENS_PATH).toBe(".ngrok-gitops/tokens.json");
    expect(new FileTokenStore().path).toBe(".ngrok-gitops/tokens.json");
  });

  it("reads an absent file as empty", async () => {
    const store = new FileTokenStore(path);
    expect(await store.get("a")).toBeNull();
    expect(await store.list()).toEqual([]);
  });

  it("creates the directory (0700) and a file (0600) holding one JSON object keyed by name", async () => {
    const store = new FileTokenStore(path);
    await store.put(entry("b"));
    await store.put(entry("a"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "nested", ".ngrok-gitops"))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ a: entry("a"), b: entry("b") });
    expect(await store.get("a")).toEqual(entry("a"));
    expect((await store.list()).map((e) => e.name).sort()).toEqual(["a", "b"]);
    await store.delete("a");
    await store.delete("missing");
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ b: entry("b") });
  });

  it("tightens a file that was left world-readable", async () => {
    const store = new FileTokenStore(path);
    await store.put(entry("a"));
    const { chmod } = await import("node:fs/promises");
    await chmod(path, 0o644);
    await store.put(entry("b"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("replaces the file by rename (a new inode), leaving no temp files behind", async () => {
    const store = new FileTokenStore(path);
    await store.put(entry("a"));
    const before = (await stat(path)).ino;
    await store.put(entry("b"));
    expect((await stat(path)).ino).not.toBe(before);
    expect(await readdir(join(dir, "nested", ".ngrok-gitops"))).toEqual(["tokens.json"]);
  });

  it("keeps the previous file intact and rejects when the write cannot complete", async () => {
    const store = new FileTokenStore(path);
    await store.put(entry("a"));
    const before = await readFile(path, "utf8");
    faults.failRename = true;
    await expect(store.put(entry("b"))).rejects.toMatchObject({
      code: "VAULT_STORE_FAILED",
      message: `cannot write token store ${path}`,
    });
    expect(await readFile(path, "utf8")).toBe(before);
    expect(await readdir(join(dir, "nested", ".ngrok-gitops"))).toEqual(["tokens.json"]);
    faults.failRename = false;
    await store.put(entry("b"));
    expect((await store.list()).length).toBe(2);
  });

  it("serializes concurrent changes so none is lost", async () => {
    const store = new FileTokenStore(path);
    const names = Array.from({ length: 25 }, (_, i) => `n${i}`);
    await Promise.all(names.map((n) => store.put(entry(n))));
    expect((await store.list()).map((e) => e.name).sort()).toEqual([...names].sort());
  });

  it("never overwrites a file it cannot parse, since it may hold the only copy of other tokens", async () => {
    const store = new FileTokenStore(path);
    await store.put(entry("a"));
    await writeFile(path, "{ not json");
    await expect(store.put(entry("b"))).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID" });
    expect(await readFile(path, "utf8")).toBe("{ not json");
    await writeFile(path, JSON.stringify({ a: { ...entry("a"), name: "other" } }));
    await expect(store.get("a")).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID" });
    await writeFile(path, JSON.stringify([entry("a")]));
    await expect(store.list()).rejects.toMatchObject({ code: "VAULT_RECORD_INVALID" });
  });
});
