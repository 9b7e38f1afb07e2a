// CPU as work units: one unit is a calibrated microsecond of CPU, so MAX_CPU_MS becomes a count the run can keep.
//
// The costs are measured by `npm run bench -- --only invocations` (DIAG: CPU between a piece's spend and the next,
// median over reps, so each piece's share of garbage collection is in it): one unit is about a microsecond there.
// An invocation's units are then what it really spends, and the headroom covers what no piece owns.

/**
 * Parsing and validating spec YAML, per KB of a file not in the parse cache. The bench's YAML measures 69 µs/KB cold
 * (10,000 specs); kept at 160 because it also sets the largest file an invocation may parse (maxParseBytes), which
 * must hold for any YAML a pull request brings, and YAML built to be slow parses slower per byte than the bench's.
 */
export const PARSE_UNITS_PER_KB = 160;
/**
 * Diffing one live credential against its spec, read back from the run's scratch (bench: 5.3 µs, of it 1.8 the row's
 * JSON.parse; with the diff that recognises an unchanged marker by its string, 4.2 µs at k = 0 and 5.3 at 1 %).
 */
export const DIFF_UNITS_PER_CREDENTIAL = 6;
/** One listed credential: the page read through the client, its JSON parsed, the credential written to the scratch and the step persisted (bench: 5 µs, 0.5 ms a page of 100). */
export const LIST_UNITS_PER_CREDENTIAL = 6;
/**
 * Putting the parsed files' specs together and checking them across files and against the policy, per KB of YAML
 * (bench: 2.2–3.2 µs/KB from a parse cache of objects, 2.7 MB of YAML). The files come from the run's memory
 * (file-memo.ts: the Durable Object's rows of JSON are read into it a file per piece, CACHED_READ_UNITS_PER_KB), so
 * that is what it costs there too: 1.3–2.5 ms at 2.7 MB in the invocations bench with the rows read before.
 */
export const CHECK_UNITS_PER_KB = 3;
/** Saving the sources in the run's scratch for the plan stage, per KB of YAML (bench: 2–3.3 µs/KB, the text written out). */
export const SAVE_SOURCES_UNITS_PER_KB = 2.5;
/**
 * The plan stage's index of the specs, the vault's ids and the intents, per spec: built once per run while the
 * process keeps it, or again at the start of an invocation that lost it. Two pieces (bench: 0.6–1.0 µs/spec at
 * 10,000 in all, more than an invocation's units in one): the specs read from the parse cache and sorted with the
 * vault's ids (0.75 + 0.3 + 1.1 ms of 3.4 measured alone), then the slice context made of them (the owners resolved,
 * every spec by name: 1.3 ms). The first piece takes the files from the run's memory (file-memo.ts), read into it
 * a file per piece before it (charged by CACHED_READ_UNITS_PER_KB): 0.3–3.5 ms at 10,000 specs in the invocations bench.
 */
export const INDEX_READ_UNITS_PER_SPEC = 0.6;
export const INDEX_CONTEXT_UNITS_PER_SPEC = 0.4;
/** Making the plan from the diffed slices and saving it, per spec (assembly, policies, the plan's JSON; bench: 0.64 µs/spec at 10,000). */
export const FINISH_UNITS_PER_SPEC = 0.65;
/**
 * The report: the saved plan read back (its changes and the names of the unchanged, about one row per listed
 * credential), the result built and handed to the reporter, per row (bench: 0.2–0.27 µs a row at 10,000).
 */
export const REPORT_UNITS_PER_ROW = 0.3;
/**
 * What an invocation keeps back: the fixed work around its steps (reading the state, the ports, the last persist:
 * 0.3–0.6 ms), the scavenges no piece owns (2–6 ms each, about one an invocation of three; bench --trace-gc) and the
 * margin under the kill. 10 ms is 8,000 units. (30 % would put the list and slice invocations near 6 ms, but the
 * start stage's check, one piece of 3 units a KB of all the YAML, is 7,798 units at 10,000 credentials: it must be
 * split before the headroom can grow.)
 */
export const CPU_HEADROOM = 0.2;

/** The work units of an invocation allowed `maxCpuMs` of CPU. */
export function unitsForCpuMs(maxCpuMs: number): number {
  return Math.floor(maxCpuMs * 1000 * (1 - CPU_HEADROOM));
}

/** The units of the report: a piece of its own, so the plan made in an invocation is reported in the next when it filled it. */
export function reportUnits(state: { listed: number; total: number }): number {
  return Math.ceil((state.listed + state.total) * REPORT_UNITS_PER_ROW);
}

/** The units parsing a file of this many UTF-16 units costs (one per byte is close enough for YAML). */
export function parseUnits(length: number): number {
  return Math.ceil((length * PARSE_UNITS_PER_KB) / 1024);
}

/** The units of the start stage's check: every file's specs put together and checked across files. */
export function checkUnits(sources: readonly { content: string }[]): number {
  return Math.ceil((textLength(sources) * CHECK_UNITS_PER_KB) / 1024);
}

/** The units of the start stage's last piece: the sources saved for the plan stage. */
export function saveSourcesUnits(sources: readonly { content: string }[]): number {
  return Math.ceil((textLength(sources) * SAVE_SOURCES_UNITS_PER_KB) / 1024);
}

function textLength(sources: readonly { content: string }[]): number {
  let length = 0;
  for (const source of sources) length += source.content.length;
  return length;
}

/**
 * Reading one change (or delivery) of the saved plan back by range (apply, deliver): its row's JSON parsed and checked
 * (bench: 2.1 µs a create's row, JSON.parse and the row's schema; the outcome row of one about 3).
 */
export const PLAN_ROW_UNITS = 2.5;

/**
 * The report's work per change of the plan, instead of REPORT_UNITS_PER_ROW: the change read back, as its outcome's
 * row (about 3.5: a change and its ids) once applied, else as the plan's (PLAN_ROW_UNITS), and its outcome line built
 * (about 0.5). It is one piece (the GitHub reporter fingerprints the whole plan); plan_text's lines come before it, in pieces.
 */
export const REPORT_UNITS_PER_CHANGE = 4;

/** The units of the report's piece: the listing's rows (the names of the unchanged) and the plan's changes. */
export function reportPieceUnits(state: { listed: number; total: number }): number {
  return Math.ceil(state.listed * REPORT_UNITS_PER_ROW + state.total * REPORT_UNITS_PER_CHANGE);
}

/**
 * One change of the operator's plan_text rendered in a piece of the report: its row read back (PLAN_ROW_UNITS) and its
 * lines rendered (bench: 0.5–0.7 µs a create in pieces of 500), up to PLAN_TEXT_CHANGES_BYTES of lines.
 */
export const PLAN_TEXT_UNITS_PER_CHANGE = 4;

/**
 * The largest spec file (in UTF-8 bytes) one invocation of `units` can parse, at the cost per KB `parseUnits`
 * charges: a file within it is parsed in one piece that fits, a larger one is refused before it is parsed.
 */
export function maxParseBytes(units: number): number {
  return Math.floor((units * 1024) / PARSE_UNITS_PER_KB);
}

/**
 * The kinds beside credentials (src/run/kinds-slices.ts). One live API key or SSH credential diffed, read back from
 * the scratch: its row parsed, its view for the credential diff, the compare (an SSH credential's marker read once
 * more for its key). Measured on the bench's listing read back from MemoryScratch in slices of 666: 2.4–2.5 µs an item
 * median, 6.7–7.4 at worst when a collection lands in the slice.
 */
export const DIFF_UNITS_PER_KIND_ITEM = 12;
/** The kinds' index, per spec of theirs and per service user listed: specs as the credential diff reads them, the service users' whole diff (bench: under 1 µs each). */
export const KINDS_INDEX_UNITS_PER_ITEM = 1.5;
/** The kinds' plan from their slices, per spec of theirs (assembly, expiry, prevent_destroy, names; bench: about 0.6 µs). */
export const KINDS_FINISH_UNITS_PER_SPEC = 1;

/**
 * The report's tally (report-tally.ts), per row of the saved plan: the row read back (PLAN_ROW_UNITS), its fingerprint
 * line built and counted and the piece's digest (native): node, 10,000 update rows in pieces of 250, best of 7 on a
 * loaded machine, 2.1–3.0 µs a row read and 0.6–1.8 the lines and digests. An applied plan's rows read their outcomes too (about 3).
 */
export const TALLY_UNITS_PER_CHANGE = 4;
export const TALLY_UNITS_PER_OUTCOME = 3;

/** The most changes (and outcome lines) a bounded report reads and hands on: the GitHub texts show about 60 KB of them anyway. */
export const REPORT_HEAD = 500;

/** The units of the bounded report's piece (a run with a CPU budget): the listing's rows and at most REPORT_HEAD changes. */
export function boundedReportUnits(state: { listed: number; total: number }): number {
  return Math.ceil(state.listed * REPORT_UNITS_PER_ROW + Math.min(state.total, REPORT_HEAD) * REPORT_UNITS_PER_CHANGE);
}

/**
 * Reading one cached spec file back into the run's memory (file-memo.ts), per KB of its parse-cache row (the Durable
 * Object's spec_cache.bytes: JSON, about 1.45× the YAML): the row's JSON.parse and its schema. Measured on node, the
 * bench's 10,000 specs (100 rows of 38 KB, 3.8 MB), each row timed alone, 9 reps: 4.1 µs/KB median, 4.2–8.8 at p90;
 * charged at twice the median for the collections the rows' garbage brings (the invocations bench saw 30 ms for all
 * of them read in one piece). Under a CPU budget a cached file is at most maxParseBytes of YAML: a row of about 75 KB, 600 units.
 */
export const CACHED_READ_UNITS_PER_KB = 8;

/** The units of reading back a cached file whose row is `bytes` long. */
export function cachedReadUnits(bytes: number): number {
  return Math.ceil((bytes * CACHED_READ_UNITS_PER_KB) / 1024);
}
