// Injected failures: which call they hit (method, path prefix, nth, times) and what they do.

export interface Fault {
  /** HTTP method to match, case-insensitive; any when omitted. */
  method?: string;
  /** Path prefix to match, e.g. "/credentials" or "/credentials/cr_x"; any when omitted. */
  path?: string;
  /** Fire from the nth matching call counted from installation (1-based). Default 1. */
  nth?: number;
  /** How many consecutive matching calls it fires on. Default 1. */
  times?: number;
  /** Answer with this status and an ngrok error body instead of performing the call. */
  status?: number;
  /** Seconds for a Retry-After header (typically with 429). */
  retryAfter?: number;
  /** Delay before answering (or, with `timeout`, how long to hang). */
  latencyMs?: number;
  /** Perform the real change, then answer with `status` (default 500): the client cannot know it happened. */
  commitThenFail?: boolean;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** Hang for `latencyMs` (default 30 s) so the client times out; aborts with the request. */
  timeout?: boolean;
  /** Raw non-JSON error body (e.g. a proxy's HTML page) instead of the ngrok error body. */
  body?: string;
}

const FAULT_KEYS = new Set(["method", "path", "nth", "times", "status", "retryAfter", "latencyMs", "commitThenFail", "reset", "timeout", "body"]);

interface Installed {
  fault: Fault;
  seen: number;
  fired: number;
}

/** Faults of one account, in installation order; the first one due on a call wins, every match counts. */
export class FaultBook {
  private installed: Installed[] = [];

  add(faults: readonly Fault[]): void {
    for (const fault of faults) this.installed.push({ fault: { ...fault }, seen: 0, fired: 0 });
  }

  clear(): void {
    this.installed = [];
  }

  /** Counts the call against every matching fault and returns the one that fires, if any. */
  take(method: string, path: string): Fault | undefined {
    let due: Installed | undefined;
    for (const entry of this.installed) {
      const { fault } = entry;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method.toUpperCase()) continue;
      if (fault.path !== undefined && !path.startsWith(fault.path)) continue;
      entry.seen += 1;
      const nth = fault.nth ?? 1;
      const times = fault.times ?? 1;
      if (due === undefined && entry.seen >= nth && entry.fired < times) due = entry;
    }
    if (due === undefined) return undefined;
    due.fired += 1;
    return due.fault;
  }

  pending(): Fault[] {
    return this.installed.filter((e) => e.fired < (e.fault.times ?? 1)).map((e) => ({ ...e.fault }));
  }
}

function optionalNumber(value: unknown, name: string, min: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) return `${name} must be a number ≥ ${min}`;
  return undefined;
}

/** Checks a fault coming from the control endpoint; returns a message for the first problem. */
export function faultProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a fault must be an object";
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!FAULT_KEYS.has(key)) return `unknown fault field ${key}`;
  for (const key of ["method", "path", "body"]) {
    if (record[key] !== undefined && typeof record[key] !== "string") return `${key} must be a string`;
  }
  for (const key of ["commitThenFail", "reset", "timeout"]) {
    if (record[key] !== undefined && typeof record[key] !== "boolean") return `${key} must be a boolean`;
  }
  return (
    optionalNumber(record.nth, "nth", 1) ??
    optionalNumber(record.times, "times", 1) ??
    optionalNumber(record.status, "status", 100) ??
    optionalNumber(record.retryAfter, "retryAfter", 0) ??
    optionalNumber(record.latencyMs, "latencyMs", 0)
  );
}

/** Sleeps `ms`, rejecting with an AbortError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("The operation was aborted", "AbortError"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException("The operation was aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
