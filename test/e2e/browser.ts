// The installed Chromium or Chrome (scripts/chromium.ts) driven by playwright-core for the web UI tests; fails (never skips) when there is none.
import { chromium, type Browser } from "playwright-core";
import { findBrowser, thisMachine } from "../../scripts/chromium.js";

export async function launchBrowser(): Promise<Browser> {
  const search = findBrowser(thisMachine());
  if (!search.ok) throw new Error(`browser tests: ${search.message}`);
  return chromium.launch({
    executablePath: search.path,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--no-first-run"],
  });
}
