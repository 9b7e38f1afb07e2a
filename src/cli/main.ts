// Entry of the `ngrok-gitops` bin and `npm run plan|apply|validate|token|unmanaged`: runs one command with the process's streams, environment and terminal.
import { createInterface } from "node:readline/promises";
import { runCli } from "./commands.js";

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  // Ctrl-C at the prompt is a "no", not a paused terminal.
  rl.on("SIGINT", () => abort.abort());
  try {
    return await rl.question(question, { signal: abort.signal });
  } catch (error) {
    if (abort.signal.aborted) return "";
    throw error;
  } finally {
    rl.close();
  }
}

const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  interactive: process.stdin.isTTY === true,
  ask,
  tty: process.stdout.isTTY === true,
});
process.exitCode = code;
