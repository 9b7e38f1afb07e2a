// npm test finds an installed Chromium or Chrome on Linux and macOS (CHROME_PATH / CHROMIUM_PATH first), and otherwise fails in one line saying how to get one.
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findBrowser, type Machine } from "../../scripts/chromium.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function machine(platform: NodeJS.Platform, executables: string[], env: Record<string, string> = {}): Machine {
  return { platform, env, home: "/Users/dev", isExecutable: (path) => executables.includes(path) };
}

describe("findBrowser", () => {
  it("takes CHROME_PATH, then CHROMIUM_PATH, before any other place", () => {
    expect(findBrowser(machine("linux", ["/opt/c", "/usr/bin/chromium"], { CHROME_PATH: "/opt/c" }))).toEqual({ ok: true, path: "/opt/c" });
    expect(findBrowser(machine("linux", ["/opt/c", "/usr/bin/chromium"], { CHROMIUM_PATH: "/opt/c" }))).toEqual({ ok: true, path: "/opt/c" });
  });

  it("a CHROME_PATH that is no executable is an error naming it, not a search elsewhere", () => {
    const found = findBrowser(machine("linux", ["/usr/bin/chromium"], { CHROME_PATH: "/nope/chrome" }));
    expect(found).toEqual({ ok: false, message: expect.stringContaining("CHROME_PATH=/nope/chrome is not an executable file") });
  });

  it("Linux: Chrome or Chromium on PATH, or in the usual places", () => {
    expect(findBrowser(machine("linux", ["/home/dev/bin/google-chrome"], { PATH: "/usr/local/bin:/home/dev/bin" }))).toEqual({ ok: true, path: "/home/dev/bin/google-chrome" });
    expect(findBrowser(machine("linux", ["/snap/bin/chromium"], { PATH: "/usr/local/bin" }))).toEqual({ ok: true, path: "/snap/bin/chromium" });
    expect(findBrowser(machine("linux", ["/opt/google/chrome/chrome"]))).toEqual({ ok: true, path: "/opt/google/chrome/chrome" });
  });

  it("macOS: the Chrome or Chromium app, in /Applications or ~/Applications", () => {
    expect(findBrowser(machine("darwin", ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]))).toEqual({ ok: true, path: "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" });
    expect(findBrowser(machine("darwin", ["/Users/dev/Applications/Chromium.app/Contents/MacOS/Chromium"]))).toEqual({ ok: true, path: "/Users/dev/Applications/Chromium.app/Contents/MacOS/Chromium" });
  });

  it("none: one line that says how to get one", () => {
    for (const platform of ["linux", "darwin"] as const) {
      const found = findBrowser(machine(platform, [], { PATH: "/usr/bin" }));
      expect(found.ok).toBe(false);
      const message = found.ok ? "" : found.message;
      expect(message).not.toContain("\n");
      expect(message).toMatch(/^no Chromium or Chrome found .*apt-get install -y chromium.*brew install --cask chromium.*CHROME_PATH/);
    }
  });
});

describe("npm test's pretest (scripts/ensure-chromium.ts)", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const pretest = (env: Record<string, string>) => spawnSync(process.execPath, ["--import", "tsx", "scripts/ensure-chromium.ts"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } as unknown as NodeJS.ProcessEnv, encoding: "utf8" });

  it("passes with the browser CHROME_PATH names", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chromium-"));
    dirs.push(dir);
    const fake = join(dir, "chrome");
    await writeFile(fake, "#!/bin/sh\n");
    await chmod(fake, 0o755);
    const run = pretest({ CHROME_PATH: fake });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("fails in one line when CHROME_PATH names nothing (installs nothing over it)", () => {
    const run = pretest({ CHROME_PATH: "/nonexistent/chrome" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^ensure-chromium: CHROME_PATH=\/nonexistent\/chrome is not an executable file; [^\n]*\n$/);
  });
});
