// Which of `wrangler dev`'s lines `npm start` shows by default: errors of our Worker, never wrangler's chatter (pure, line by line).

/** ANSI colour and cursor sequences, which wrangler prints even into a pipe. */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(line: string): string {
  return line.replace(ANSI, "");
}

/** Lines that are always noise for `npm start`: the banner, the bindings table, notices about things we chose. */
const NOISE: readonly RegExp[] = [
  /^⛅️? ?wrangler \d/u,
  /^─+$/u,
  /^Using (secrets|vars) defined in /,
  /^Your Worker has access to the following bindings:/,
  /^Binding\s+Resource\s+Mode$/,
  /^env\.\w+ \(.*\)\s+[\w ]+\s+(local|remote)$/,
  // `--var` changes the hash wrangler compares with; `npm run types -- --check` is the real check.
  /Your types might be out of date/,
  /^⎔ Starting local server/u,
  /^\[wrangler:info\] Ready on /,
  /^Press \[?\w\]? to /,
  /update available/,
];

/** Request log lines: `[wrangler:info] GET /api/status 200 OK (2ms)`. Only a 5xx is ours to show. */
const REQUEST = /^\[wrangler:(info|warn|error)\] (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+ (\d{3})\b/;

/** Starts of blocks whose indented continuation lines (and a following stack trace) are noise too. */
const NOISE_BLOCKS: readonly RegExp[] = [
  // wrangler fetches Request.cf from workers.cloudflare.com; offline that is a DNS error, harmless locally.
  /Unable to fetch the `Request\.cf` object/,
  /Scheduled Workers are not automatically triggered during local development/,
  /^▲ \[WARNING\]/u,
];

/** Lines that are errors of ours: an uncaught exception in the Worker, our own console.error, a failed build. */
const ERRORS: readonly RegExp[] = [/^✘ \[ERROR\]/u, /^X \[ERROR\]/, /^\[wrangler:error\]/, /\bUncaught\b/, /^unhandled error\b/, /^(\w*Error|Exception):? /];

export type Verdict = "show" | "hide";

/**
 * A stateful filter over wrangler's lines: `verdict(line)` says whether `npm start` shows it. A shown error
 * keeps its indented continuation (message details, stack); a hidden block hides its own.
 */
export class WranglerLineFilter {
  /** What the current block's continuation lines get: the verdict of the line that opened it. */
  #block: Verdict | null = null;

  verdict(raw: string): Verdict {
    const line = stripAnsi(raw).trimEnd();
    // Offline, wrangler's Request.cf fetch fails with a DNS error and a stack trace: nothing of ours.
    if (/workers\.cloudflare\.com/.test(line)) {
      this.#block = "hide";
      return "hide";
    }
    if (/^\s/.test(line) && this.#block !== null) return this.#block;
    this.#block = null;
    const request = REQUEST.exec(line);
    if (request) return Number(request[3]) >= 500 ? "show" : "hide";
    if (NOISE_BLOCKS.some((p) => p.test(line))) {
      this.#block = "hide";
      return "hide";
    }
    if (ERRORS.some((p) => p.test(line))) {
      this.#block = "show";
      return "show";
    }
    if (NOISE.some((p) => p.test(line))) return "hide";
    // Anything else (wrangler's info lines, the Worker's console.log) is detail: `--verbose` shows it.
    return "hide";
  }
}
