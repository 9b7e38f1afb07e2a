// `npm run plan -- --dir ../other` as a child process: errors name the file where it really is (issue 17).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
let root = "";
afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

it("plan --dir ../other reports ../other/a.yaml:line:col, before any ngrok call", { timeout: 30_000 }, async () => {
  root = await mkdtemp(join(tmpdir(), "ngrok-gitops-dir-"));
  await mkdir(join(root, "other"));
  await mkdir(join(root, "project"));
  await writeFile(join(root, "other/a.yaml"), 'credentials:\n  - name: a\n    description: "unclosed\n');
  // Port 9 (discard) refuses: the run must not get as far as ngrok.
  const env = { PATH: process.env.PATH ?? "", NGROK_API_URL: "http://127.0.0.1:9", NGROK_API_KEY: "unused", HOME: root };
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "src/cli/main.ts"), "plan", "--dir", "../other"], { cwd: join(root, "project"), env: env as unknown as NodeJS.ProcessEnv /* wrangler's generated types make Worker vars required here */, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code).toBe(1);
  expect(output).toContain('../other/a.yaml:3:18: credentials[0].description: Missing closing quote: the string opened here with " never ends (it runs on to line 4, column 1)');
  expect(output).not.toContain("credentials/a.yaml");
});
