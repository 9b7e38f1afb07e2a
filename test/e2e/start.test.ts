// `npm start` end to end, as a user runs it: emulator, fake GitHub and `wrangler dev` come up, the examples are applied, and stopping leaves nothing behind.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_OWNER_ID, START_OWNER_ID } from "../../src/cli/identity.js";
import { isPortFree } from "../../dev/listen-ports.js";
import { loadSpecs } from "../../src/desired/load.js";
import { launchBrowser } from "./browser.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What a run leaves in its working directory, and what the test copies instead of linking. */
const NOT_LINKED = new Set([".git", ".dev.vars", ".wrangler", ".ngrok-gitops", "credentials", "node_modules"]);
/** wrangler dev starts in a few seconds here; the slack is for a loaded CI machine. */
/** Wide enough for wrangler to start on a busy 2-core runner; waits return as soon as the line appears. */
const TIMEOUT = 180_000;

/**
 * A checkout of its own: `npm start` writes `.dev.vars` and wrangler's `.wrangler/` into its working directory and
 * reads `credentials/` from there. Every other top-level entry is a symlink into the repository, so the test needs no
 * list of what start.ts happens to import and never writes into the repository.
 */
async function checkout(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-start-test-"));
  await cp(join(ROOT, "credentials"), join(dir, "credentials"), { recursive: true });
  // node_modules is linked too, but listed above so a stray entry named like it is never copied.
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  for (const entry of await readdir(ROOT)) {
    if (!NOT_LINKED.has(entry)) await symlink(join(ROOT, entry), join(dir, entry));
  }
  return dir;
}

/** Three loopback ports that are free right now (held together, so they differ). */
async function freePorts(): Promise<[number, number, number]> {
  const servers = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen({ port: 0, host: "127.0.0.1" }, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports as [number, number, number];
}

/** Live processes whose working directory is inside `dir` (Linux only; elsewhere the port checks stand alone). */
async function processesIn(dir: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => null);
    if (cwd !== null && (cwd === dir || !relative(dir, cwd).startsWith(".."))) found.push(Number(entry));
  }
  return found;
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  dir: string;
  ports: number[];
  output: () => string;
  /** Resolves when the output from offset `from` on matches; rejects if the process exits first or the time is up. */
  waitFor: (pattern: RegExp, from?: number) => Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Started[] = [];

/**
 * `npm start` runs its script through `sh -c`; dash, as /bin/sh, dies of a SIGINT that reaches it even when the script
 * exits 0, and npm then exits by that signal. Stopping is therefore tested on the script's own command, read from
 * package.json so it cannot drift: the process group a terminal's Ctrl-C reaches is then what it is under npm.
 */
async function scriptCommand(): Promise<[string, string[]]> {
  const script = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start ?? "";
  const [bin = "", ...args] = script.split(" ");
  expect(script, "the start script is a plain `bin args…` command").toMatch(/^[\w-]+( [\w./-]+)*$/);
  return [bin === "node" ? process.execPath : join(ROOT, "node_modules/.bin", bin), args];
}

async function start(how: "npm" | "script", args: string[]): Promise<Started> {
  const [command, commandArgs] = how === "npm" ? ["npm", ["start", ...(args.length ? ["--", ...args] : [])]] : await scriptCommand().then(([bin, rest]) => [bin, [...rest, ...args]] as const);
  const dir = await checkout();
  const [worker, emulator, github] = await freePorts();
  const env: NodeJS.ProcessEnv = { ...process.env, WORKER_PORT: String(worker), EMULATOR_PORT: String(emulator), GITHUB_PORT: String(github), WRANGLER_SEND_METRICS: "false" };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST")) delete env[key];
  // Its own process group, so the test can signal it the way a terminal's Ctrl-C does: npm, tsx and node together.
  const child = spawn(command, [...commandArgs], { cwd: dir, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  let exited = false;
  void exit.then(() => {
    exited = true;
    for (const l of listeners) l();
  });
  const waitFor = (pattern: RegExp, from = 0, ms = TIMEOUT) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.slice(from).match(pattern);
        if (m) done(() => resolve(m));
        else if (exited) done(() => reject(new Error(`npm start exited before printing ${pattern}; output:\n${out}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${ms} ms; output:\n${out}`))), ms);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  const started = { child, dir, ports: [worker, emulator, github], output: () => out, waitFor, exit };
  running.push(started);
  return started;
}

/** Polls until every port is free and no process is left in the checkout, or `ms` passes; returns what is left. */
async function leftovers(s: Started, ms: number): Promise<{ ports: number[]; pids: number[] }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ports: number[] = [];
    for (const port of s.ports) if (!(await isPortFree(port))) ports.push(port);
    const pids = await processesIn(s.dir);
    if ((ports.length === 0 && pids.length === 0) || Date.now() > deadline) return { ports, pids };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The example specs: names come from the files, so the test follows them. */
async function exampleNames(dir: string): Promise<string[]> {
  const files: { path: string; content: string }[] = [];
  for (const path of await readdir(join(dir, "credentials"), { recursive: true })) {
    if (/\.ya?ml$/.test(path)) files.push({ path: `credentials/${path}`, content: await readFile(join(dir, "credentials", path), "utf8") });
  }
  const result = loadSpecs(files, { ownerId: START_OWNER_ID });
  if (!result.ok) throw new Error("the example credentials/ do not load");
  return result.specs.map((s) => s.name).sort();
}

/** `npm run plan` in the checkout, as the hint says. */
function runPlan(dir: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "plan", ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** What quiet mode must never show a newcomer: wrangler's chatter, offline DNS noise, update and types notices. */
function expectQuiet(output: string): void {
  for (const noise of [/^\[wrangler\]/m, /update available/, /ENOTFOUND/, /types might be out of date/, /GET \/api\/status/, /Request\.cf/, /Scheduled Workers/]) {
    expect(output, `quiet output shows ${noise}`).not.toMatch(noise);
  }
}

/** Reviews are on in the example repository: the first push (no pull request) is held, then released by npm start as the operator. */
function expectAllCreated(output: string, names: string[]): void {
  expect(output).toContain(`Plan: ${names.length} to create, 0 to update, 0 to delete.`);
  expect(output).toContain("Reviews are on in this example repository: ngrok-gitops.policy.yaml has review: {approvals: 1}");
  expect(output).toMatch(/Run 1 \(push\) for ([0-9a-f]{7}): held\n[\s\S]*Held for want of reviews \(nothing was applied\):\n {2}[0-9a-f]{7} was pushed without a merged pull request/);
  expect(output).toMatch(/npm start releases it as the operator[\s\S]*Released [0-9a-f]{7} as the operator \(audited\)[\s\S]*Run 2 \(manual\) for [0-9a-f]{7}: succeeded/);
  expect(output).toContain("Applied:");
  for (const name of names) expect(output).toMatch(new RegExp(`✓ create ${name.replace(/[.]/g, "\\.")} \\(cr_\\w+\\)`));
}

afterEach(async () => {
  // A failed test must not leave wrangler behind: stop gracefully, then kill what is still in the checkout by pid.
  for (const s of running.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined) {
      try {
        process.kill(-s.child.pid, "SIGINT");
      } catch {
        // Already gone.
      }
      await Promise.race([s.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    for (const pid of await processesIn(s.dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Exited in between.
      }
    }
    await rm(s.dir, { recursive: true, force: true });
  }
});

describe("npm start", () => {
  it("the start script's launcher leaves Ctrl-C to start.ts even while its event loop is busy", async () => {
    // tsx's CLI runs the script in a child process and relays signals; if the child has not reported a signal within
    // 30 ms it sends it again, then SIGKILLs the child and exits 130, so on a loaded machine wrangler was left running.
    const [bin, args] = await scriptCommand();
    const dir = await mkdtemp(join(tmpdir(), "ngrok-gitops-signal-test-"));
    const script = join(dir, "busy.ts");
    await writeFile(
      script,
      [
        'let signals: number = 0;',
        'process.on("SIGINT", () => { signals++; console.log(`handled ${signals}`); setTimeout(() => process.exit(0), 200); });',
        'console.log("ready");',
        "const until = Date.now() + 500;",
        "while (Date.now() < until) { /* busy, as start.ts is while a plan renders on a loaded machine */ }",
        "setTimeout(() => process.exit(3), 5_000);",
      ].join("\n"),
    );
    try {
      const child = spawn(bin, [...args.slice(0, -1), script], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      const ready = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("ready")) resolve();
        }),
      );
      child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      await ready;
      if (child.pid === undefined) throw new Error("no pid");
      process.kill(-child.pid, "SIGINT");
      expect(await exit, out).toBe(0);
      expect(out).toContain("handled 1\n");
      expect(out).not.toContain("handled 2");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it(
    "--once applies the example credentials, exits 0 and leaves no port or process behind",
    async () => {
      const s = await start("npm", ["--once"]);
      const { code } = await s.exit;
      const output = s.output();
      expect(code, output).toBe(0);
      expect(output).toContain("Wrote .dev.vars with fresh local secrets");
      // .dev.vars went into the working directory, private to the user.
      expect((await stat(join(s.dir, ".dev.vars"))).mode & 0o077).toBe(0);
      const names = await exampleNames(s.dir);
      expect(names).toHaveLength(4);
      expectAllCreated(output, names);
      // Errors are one-line messages, never a stack trace (wrangler's own lines aside).
      expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      // Quiet by default: our lines only.
      expectQuiet(output);
      expect(await leftovers(s, 30_000)).toEqual({ ports: [], pids: [] });
    },
    TIMEOUT,
  );

  it(
    "interactive --verbose: wrangler's lines shown; Enter with unchanged credentials reconciles again; Ctrl-C stops everything with exit 0",
    async () => {
      const s = await start("script", ["--verbose"]);
      await s.waitFor(/then p and Enter to open a pull request[\s\S]*leaves the other's credentials alone\)\.\n/);
      expectAllCreated(s.output(), await exampleNames(s.dir));
      // --verbose shows everything wrangler prints, request log included.
      expect(s.output()).toMatch(/^\[wrangler\] .*GET \/api\/status 200/m);

      // The hint names the command that reaches this emulator, and it does. The CLI is another installation
      // (OWNER_ID ngrok-gitops-cli): the Worker's credentials are not its own, so it would create its own four.
      const planHint = `EMULATOR_PORT=${s.ports[1]} npm run plan`;
      expect(s.output()).toContain(`\`${planHint}\` uses it too, as OWNER_ID ${CLI_OWNER_ID}`);
      const plan = await runPlan(s.dir, { ...process.env, EMULATOR_PORT: String(s.ports[1]) });
      expect(plan.code, plan.output).toBe(2);
      expect(plan.output).toContain("Plan: 4 to create, 0 to update, 0 to delete.");
      // As the Worker's OWNER_ID, the same command finds the account matching the specs.
      const asWorker = await runPlan(s.dir, { ...process.env, EMULATOR_PORT: String(s.ports[1]), OWNER_ID: START_OWNER_ID });
      expect(asWorker.code, asWorker.output).toBe(0);
      expect(asWorker.output).toContain("No changes.");
      // npm start names the preview of what a merge will do, and it previews as the Worker.
      expect(s.output()).toContain(`Preview what a merge will make the Worker do (read-only): EMULATOR_PORT=${s.ports[1]} npm run plan -- --owner-id ${START_OWNER_ID}\n`);
      const preview = await runPlan(s.dir, { ...process.env, EMULATOR_PORT: String(s.ports[1]) }, ["--", "--owner-id", START_OWNER_ID]);
      expect(preview.code, preview.output).toBe(0);
      expect(preview.output).toContain("No changes.");

      // Unchanged credentials/: no commit to push, so Enter asks the Worker for a run (POST /api/reconcile).
      const before = s.output().length;
      s.child.stdin.write("\n");
      await s.waitFor(/credentials\/ unchanged since [0-9a-f]{7}; asking the Worker to reconcile anyway/, before);
      // formatRun prints the header, the plan, and a trailing blank line.
      const rerun = (await s.waitFor(/Run \d+ \(\w+\) for [0-9a-f]{7}: \w+\n[\s\S]*?\n\n/, before))[0];
      expect(rerun).toMatch(/^Run \d+ \(manual\) for [0-9a-f]{7}: succeeded/);
      expect(rerun).toContain("No changes.");

      // A changed file and Enter: a commit straight to main, with no pull request: held, and r releases it as the operator.
      await writeFile(join(s.dir, "credentials", "direct.yaml"), "credentials:\n  - name: direct-push\n    description: pushed straight to main\n");
      let from = s.output().length;
      s.child.stdin.write("\n");
      const pushed = await s.waitFor(/Held: ([0-9a-f]{7}) was pushed straight to main, with no pull request behind it\. Press r and Enter to release it as the operator \(POST \/api\/reconcile \{"release":"([0-9a-f]{40})"\}, audited\)/, from);
      expect(s.output().slice(from)).toMatch(/Run \d+ \(push\) for [0-9a-f]{7}: held/);
      expect(s.output().slice(from)).toContain("direct-push (credentials/direct.yaml) needs an approval from @npm-start-reviewer");
      from = s.output().length;
      s.child.stdin.write("r\n");
      await s.waitFor(/Run \d+ \(manual\) for [0-9a-f]{7}: succeeded[\s\S]*✓ create direct-push/, from);
      expect(s.output().slice(from)).toContain(`Released ${pushed[1]} as the operator (audited)`);
      from = s.output().length;
      s.child.stdin.write("r\n");
      await s.waitFor(/error: no commit is held: nothing to release/, from);

      const pid = s.child.pid;
      if (pid === undefined) throw new Error("npm start has no pid");
      process.kill(-pid, "SIGINT");
      // An impatient second Ctrl-C must not cut the stop short and leave wrangler running.
      await s.waitFor(/Stopping…/);
      process.kill(-pid, "SIGINT");
      const { code } = await s.exit;
      expect(code, s.output()).toBe(0);
      expect(s.output()).toContain("Stopping…");
      expect(await leftovers(s, 30_000)).toEqual({ ports: [], pids: [] });
    },
    TIMEOUT,
  );

  it(
    "p opens a pull request the Worker plans, whose page in Chromium shows the plan and the owner it needs; m merges it unapproved and the Worker holds it; a approves it and the Worker applies it",
    async () => {
      const s = await start("script", []);
      await s.waitFor(/then p and Enter to open a pull request[\s\S]*leaves the other's credentials alone\)\.\n/);
      await writeFile(
        join(s.dir, "credentials", "preview.yaml"),
        "credentials:\n  - name: preview-envs\n    description: preview environments for pull requests\n    acl:\n      - bind:*.preview.example.com\n",
      );
      const devices = join(s.dir, "credentials", "teams", "devices.yaml");
      await writeFile(devices, (await readFile(devices, "utf8")).replace("support engineers reproducing customer issues", "support engineers, EU shift"));
      let from = s.output().length;
      s.child.stdin.write("p\n");
      const opened = await s.waitFor(/Pull request #(\d+): (http:\/\/127\.0\.0\.1:(\d+)\/local\/ngrok-gitops\/pull\/\d+)\n/, from);
      const [, number, url, port] = opened;
      expect(Number(port)).toBe(s.ports[2]);
      const planned = s.output().slice(from);
      expect(planned).toContain("Press a and Enter to approve it as @npm-start-reviewer, then m to merge it");
      expect(planned).toMatch(new RegExp(`Opened pull request #${number} \\(npm-start/change at [0-9a-f]{7}, 1 added, 1 modified\\)`));
      expect(planned).toMatch(/Run \d+ \(pull_request\) for [0-9a-f]{7}: succeeded/);
      expect(planned).toContain("+ preview-envs will be created");
      expect(planned).toMatch(/~ support-laptops \(cr_\w+\) will be updated in place/);
      expect(planned).toContain("Plan: 1 to create, 1 to update, 0 to delete.");

      const admin = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(s.dir, ".dev.vars"), "utf8"))?.[1] ?? "";
      expect(admin).not.toBe("");
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        page.setDefaultTimeout(15_000);
        expect((await page.goto(url ?? ""))?.status()).toBe(200);
        const comment = page.locator(".comment .markdown-body");
        expect(await comment.locator("pre code").innerText()).toContain("+ preview-envs will be created");
        expect(await comment.innerText()).not.toContain("ngrok-gitops:plan");
        expect(await page.locator(".check-run .head").first().innerText()).toMatch(/success/);
        // The Worker signs in as a GitHub App here, so it writes a check run (a plain token gets commit statuses).
        expect(await page.locator(".check-run .body").first().innerText()).toContain("1 to create, 1 to update");
        if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: join(ROOT, "docs/pull-request.png"), fullPage: true });
        // The Worker's runs and audit log, read by the stand-in's server; the admin token never reaches the page.
        expect((await page.goto(`http://127.0.0.1:${s.ports[2]}/-/worker`))?.status()).toBe(200);
        expect(await page.locator(`#run-1`).innerText()).toContain("push");
        expect(await page.locator("main").innerText()).toMatch(new RegExp(`pull_request \\(pull request #${number}\\)`));
        expect(await page.locator("table.audit").innerText()).toContain("create");
        expect(await page.content()).not.toContain(admin);

        // The plan names the owner whose approval the merge needs, and none so far.
        await page.goto(url ?? "");
        expect(await comment.innerText()).toContain("approvals so far: 0 of 1");
        expect(await comment.innerText()).toMatch(/preview-envs \(credentials\/preview\.yaml\): @npm-start-reviewer, no owner's approval yet/);

        // m before any approval: merged, and the Worker holds it, saying who must approve and how to go on.
        from = s.output().length;
        s.child.stdin.write("m\n");
        await s.waitFor(new RegExp(`Held: pull request #${number} was merged without the approval it needs\\. Press a and Enter to approve it as @npm-start-reviewer`), from);
        const merged = s.output().slice(from);
        expect(merged).toMatch(new RegExp(`Merged pull request #${number} into main \\([0-9a-f]{7}, 1 added, 1 modified\\)`));
        expect(merged).toMatch(/Run \d+ \(push\) for [0-9a-f]{7}: held/);
        expect(merged).toContain("preview-envs (credentials/preview.yaml) needs an approval from @npm-start-reviewer");
        await page.goto(url ?? "");
        expect(await page.locator(".state").first().innerText()).toBe("Merged");
        expect(await page.locator(".comment .markdown-body").first().innerText()).toContain("Held");
        // The merge commit's check: action_required, naming the credential and its owner.
        const mergeCheck = page.locator(".check-run", { hasText: "ngrok-gitops/apply" }).last();
        expect(await mergeCheck.locator(".head").innerText()).toMatch(/action_required · Held: \d+ credential approvals? missing/);
        expect(await mergeCheck.locator(".body").innerText()).toContain("@npm-start-reviewer");

        // a: the second local user approves the merged pull request; its pull_request_review reaches the Worker, which checks the merge again and applies it.
        from = s.output().length;
        s.child.stdin.write("a\n");
        await s.waitFor(/Run \d+ \(push\) for [0-9a-f]{7}: succeeded/, from);
        const applied = s.output().slice(from);
        expect(applied).toContain(`Approved pull request #${number} as @npm-start-reviewer`);
        expect(applied).toMatch(/✓ create preview-envs \(cr_\w+\)/);
        expect(applied).toMatch(/✓ update support-laptops \(cr_\w+\)/);
        await page.goto(url ?? "");
        expect(await page.locator(".review").first().innerText()).toMatch(/npm-start-reviewer approved on [0-9a-f]{7}/);
        // The plan's comment gained the outcome of the merge's apply, in place of the Held section.
        const outcome = await page.locator(".comment .markdown-body").first().innerText();
        expect(outcome).toMatch(/Applied\s+1 created, 1 updated, 0 replaced, 0 deleted\. run \d+/);
        expect(outcome).not.toMatch(/^Held$/m);
        expect(await page.locator(".check-run", { hasText: "ngrok-gitops/apply" }).last().locator(".head").innerText()).toMatch(/success/);

        // Nothing left to merge: said plainly, and the session goes on.
        from = s.output().length;
        s.child.stdin.write("m\n");
        await s.waitFor(/error: no open pull request to merge; press p and Enter/, from);

        // A broken spec in a new pull request: the check run fails with an annotation at the file and line.
        await writeFile(join(s.dir, "credentials", "bad.yaml"), "credentials:\n  - name: broken\n    acl: [nope]\n");
        from = s.output().length;
        s.child.stdin.write("p\n");
        const second = await s.waitFor(/Pull request #(\d+): (http:\S+)\n/, from);
        expect(second[1]).not.toBe(number);
        expect(s.output().slice(from)).toMatch(/Run \d+ \(pull_request\) for [0-9a-f]{7}: invalid/);
        await page.goto(second[2] ?? "");
        expect(await page.locator(".check-run .head").first().innerText()).toMatch(/failure/);
        expect(await page.locator(".check-run .annotation").first().innerText()).toMatch(/^credentials\/bad\.yaml:3(:\d+)? failure/);
      } finally {
        await browser.close();
      }
      expectQuiet(s.output());
    },
    TIMEOUT * 2,
  );
});
