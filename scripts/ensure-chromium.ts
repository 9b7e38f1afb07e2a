// npm test's pretest: finds an installed Chromium or Chrome; else installs Debian's chromium where it can (root and apt-get); else fails in one line saying how to get one.
import { spawnSync } from "node:child_process";
import { findBrowser, thisMachine } from "./chromium.js";

function canApt(): boolean {
  return process.platform === "linux" && process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
}

function run(command: string, args: string[]): void {
  const done = spawnSync(command, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (done.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${done.error?.message ?? `exit ${done.status}`})`);
}

function main(): number {
  let search = findBrowser(thisMachine());
  // An explicit CHROME_PATH that is wrong is the user's to fix: nothing is installed over it.
  const explicit = Boolean(process.env.CHROME_PATH || process.env.CHROMIUM_PATH);
  if (!search.ok && !explicit && canApt()) {
    // With recommends: its fonts are what the pages and the screenshot are drawn with.
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "chromium"]);
    search = findBrowser(thisMachine());
  }
  if (search.ok) return 0;
  process.stderr.write(`ensure-chromium: ${search.message}\n`);
  return 1;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`ensure-chromium: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
