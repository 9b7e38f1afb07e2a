// Finds an installed Chromium or Chrome for the browser tests: CHROME_PATH / CHROMIUM_PATH, then PATH and the usual places on Linux and macOS.
import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** What the search looks at; the real machine by default, a fake one in tests. */
export interface Machine {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  isExecutable(path: string): boolean;
}

export type BrowserSearch = { ok: true; path: string } | { ok: false; message: string };

const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

const LINUX = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome"];

const MAC_APPS = [
  "Google Chrome.app/Contents/MacOS/Google Chrome",
  "Chromium.app/Contents/MacOS/Chromium",
  "Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
];

/** How to get a browser, in one line: what `npm test` prints when it finds none and cannot install one. */
export const HOW_TO_GET_ONE =
  "install one (Debian/Ubuntu: sudo apt-get install -y chromium; macOS: brew install --cask chromium, or Google Chrome) or set CHROME_PATH to a Chrome or Chromium executable";

/** The places looked at, in order: an explicit CHROME_PATH or CHROMIUM_PATH must be one, and no other is tried. */
export function findBrowser(machine: Machine): BrowserSearch {
  for (const variable of ["CHROME_PATH", "CHROMIUM_PATH"]) {
    const path = machine.env[variable];
    if (path === undefined || path === "") continue;
    if (machine.isExecutable(path)) return { ok: true, path };
    return { ok: false, message: `${variable}=${path} is not an executable file; point it at a Chrome or Chromium executable, or unset it to search the usual places` };
  }
  const onPath = (machine.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "").flatMap((dir) => NAMES.map((name) => join(dir, name)));
  const places =
    machine.platform === "darwin" ? [...MAC_APPS.map((app) => join("/Applications", app)), ...MAC_APPS.map((app) => join(machine.home, "Applications", app)), ...onPath] : [...onPath, ...LINUX];
  const found = places.find((path) => machine.isExecutable(path));
  if (found !== undefined) return { ok: true, path: found };
  const looked = machine.platform === "darwin" ? "/Applications, ~/Applications and PATH" : `PATH and ${LINUX.join(", ")}`;
  return { ok: false, message: `no Chromium or Chrome found (looked in ${looked}): ${HOW_TO_GET_ONE}` };
}

/** This machine. */
export function thisMachine(): Machine {
  return {
    platform: process.platform,
    env: process.env,
    home: homedir(),
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
  };
}
