// The Cloudflare side through wrangler, one process boundary: WRANGLER names the binary (tests put a recorder there); plus wrangler.toml edits and reads setup and deploy need.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PLACEHOLDER_KV_ID } from "../config.js";

/** The project's wrangler unless WRANGLER points elsewhere. */
export function wranglerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env["WRANGLER"] || fileURLToPath(new URL("../../node_modules/.bin/wrangler", import.meta.url));
}

export interface WranglerResult {
  readonly status: number;
  /** stdout and stderr as printed, for parsing (kv namespace create) and for the failure message. */
  readonly output: string;
}

/** Runs wrangler with `args`; its output is passed through to ours when `echo` (it never prints a secret's value) and returned. */
export function runWrangler(args: readonly string[], options: { cwd: string; echo: boolean; env?: NodeJS.ProcessEnv }): Promise<WranglerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(wranglerBinary(options.env), args, { cwd: options.cwd, env: { ...process.env, ...options.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (options.echo) stream.write(chunk);
    };
    child.stdout.on("data", take(process.stdout));
    child.stderr.on("data", take(process.stderr));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? 1, output }));
  });
}

/** The namespace id `wrangler kv namespace create` printed (in its JSON or TOML snippet). */
export function parseKvId(output: string): string | undefined {
  return /\bid["']?\s*[:=]\s*["']([0-9a-f]{32})["']/.exec(output)?.[1];
}

const TOKENS_BLOCK = /(\[\[kv_namespaces\]\][^[]*?binding\s*=\s*"TOKENS"[^[]*?\bid\s*=\s*")([^"]*)(")/;

/** The TOKENS namespace id in wrangler.toml, or undefined when there is no such binding. */
export function kvId(toml: string): string | undefined {
  return TOKENS_BLOCK.exec(toml)?.[2];
}

export function hasPlaceholderKvId(toml: string): boolean {
  return kvId(toml) === PLACEHOLDER_KV_ID;
}

/** wrangler.toml with the TOKENS binding's id replaced (the rest of the file, comments included, untouched). */
export function withKvId(toml: string, id: string): string {
  if (!TOKENS_BLOCK.test(toml)) throw new Error("wrangler.toml has no [[kv_namespaces]] binding TOKENS");
  return toml.replace(TOKENS_BLOCK, (_, head: string, _old: string, tail: string) => `${head}${id}${tail}`);
}

/** The string values of wrangler.toml's top-level [vars] table. */
export function readVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVars = false;
  for (const line of toml.split(/\r?\n/)) {
    const table = /^\s*\[([^\]]*)\]\s*(#.*)?$/.exec(line);
    if (table || /^\s*\[\[/.test(line)) {
      inVars = table?.[1]?.trim() === "vars";
      continue;
    }
    const pair = inVars ? /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(line) : null;
    if (pair?.[1] !== undefined) vars[pair[1]] = (pair[2] ?? "").replace(/\\(["\\])/g, "$1");
  }
  return vars;
}

/** wrangler.toml with one [vars] string replaced. */
export function withVar(toml: string, name: string, value: string): string {
  const line = new RegExp(`^(\\s*${name}\\s*=\\s*)"(?:[^"\\\\]|\\\\.)*"`, "m");
  if (!line.test(toml)) throw new Error(`wrangler.toml has no [vars] ${name}`);
  return toml.replace(line, (_, head: string) => `${head}${JSON.stringify(value)}`);
}
