// The parse cache's files a run reads back, kept in the process's memory: read one file per piece, charged by its row's bytes.
import { fileCacheKey, type FileCache, type FileResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { cachedReadUnits } from "./cpu-units.js";
import type { Invocation } from "./invocation.js";
import type { RunState } from "./state.js";

interface Memo {
  key: string;
  files: Map<string, FileResult>;
}

/**
 * Per scratch (one run's Durable Object or local run), the files of the run's tree read so far. The Durable Object's
 * isolate usually lives between alarms; when it did not, the reads start again from the first file, a piece each.
 */
const memos = new WeakMap<object, Memo>();
/** Bumped by forgetRunMemory: every memo made before is stale, as in a fresh process. */
let generation = 0;

/** Drops what the process kept of every run (tests: a Durable Object evicted between two alarms). */
export function forgetRunMemory(): void {
  generation++;
}

/** Once the plan is saved: the files are not needed again this round (a later round reads them again, a piece each). */
export function dropRunMemory(scratch: object): void {
  memos.delete(scratch);
}

function memoOf(state: RunState, scratch: object): Memo {
  const key = JSON.stringify([generation, state.runId, state.sha, state.tree]);
  let memo = memos.get(scratch);
  if (!memo || memo.key !== key) {
    memo = { key, files: new Map() };
    memos.set(scratch, memo);
  }
  return memo;
}

/** A file's last version with its items (load.ts lastVersionKey) is the parse's own: not kept in memory. */
const isLastVersion = (key: string): boolean => key.includes("\0\0last\0");

/**
 * The parse cache seen through the run's memory: a file read in (or parsed) once is not read back and its JSON parsed
 * again. Undefined without a cache. A file memory lacks is read from the cache (what readWithin charges for first).
 */
export function memoCache(state: RunState, run: Invocation): FileCache | undefined {
  const { cache } = run.ports.specs;
  if (!cache) return undefined;
  const { files } = memoOf(state, run.ports.scratch);
  return {
    get: (key) => files.get(key) ?? cache.get(key),
    has: (key) => files.has(key) || (cache.has ? cache.has(key) : cache.get(key) !== undefined),
    set: (key, result) => {
      cache.set(key, result);
      if (!isLastVersion(key)) files.set(key, result);
    },
  };
}

/**
 * Reads the cached files of `sources` that memory lacks, one per piece of work charged by the bytes of its cached row
 * (cpu-units.ts cachedReadUnits), while the invocation's units last; each read counts in `filesRead` (progress, also
 * when memory was lost and the reads start again). False when some are left for the next invocation. A file the
 * cache lacks is left to loadSpecs (parsed, or refused for its size).
 */
export function readWithin(state: RunState, run: Invocation, sources: readonly SpecSource[]): boolean {
  const { cache } = run.ports.specs;
  if (!cache) return true;
  const { budget } = run.ports;
  const { ownerId } = run.settings.config;
  const { files } = memoOf(state, run.ports.scratch);
  for (const source of sources) {
    const key = fileCacheKey(source, ownerId);
    if (files.has(key)) continue;
    // A cache of objects (a Map: tests, the CLI) parses nothing to read a file back; the Durable Object's rows do.
    const bytes = cache.bytes ? cache.bytes(key) : cache.has?.(key) === false ? undefined : 0;
    if (bytes === undefined) continue;
    const units = cachedReadUnits(bytes);
    if (!budget.affords(units)) return false;
    budget.spend(units);
    const file = cache.get(key);
    if (file) files.set(key, file);
    state.filesRead = (state.filesRead ?? 0) + 1;
  }
  return true;
}

/** The specs memory holds of `sources` (once readWithin returned true): the index's piece is charged by them before it is made. */
export function specsInMemory(state: RunState, run: Invocation, sources: readonly SpecSource[]): number {
  const { files } = memoOf(state, run.ports.scratch);
  let specs = 0;
  for (const source of sources) specs += files.get(fileCacheKey(source, run.settings.config.ownerId))?.specs.length ?? 0;
  return specs;
}
