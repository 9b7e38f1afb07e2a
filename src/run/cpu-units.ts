// CPU as work units: one unit is a calibrated microsecond of CPU, so MAX_CPU_MS becomes a count the run can keep.
//
// The costs are measured by `npm run bench` (cold parse per byte, diff per live credential); they are set a
// little above what it measured so that an invocation's estimate stays at or over what it really spends.

/** Parsing and validating spec YAML, per byte of a file not in the parse cache (bench: about 0.14 µs/byte). */
export const PARSE_UNITS_PER_KB = 160;
/** Diffing one live credential against its spec, read back from the run's scratch (bench: JSON.parse of the row, then the compare). */
export const DIFF_UNITS_PER_CREDENTIAL = 8;
/** One listed credential: the page read through the client, its JSON parsed, the credential written to the scratch and the step persisted (bench: about 1 ms a page of 100 on a loaded machine). */
export const LIST_UNITS_PER_CREDENTIAL = 10;
/** Putting the parsed files' specs together and checking them across files and against the policy, per KB of YAML (bench: 2.2–3.2 µs/KB from the parse cache, 2.7 MB of YAML). */
export const CHECK_UNITS_PER_KB = 3;
/** Saving the sources in the run's scratch for the plan stage, per KB of YAML (bench: 1.6–2.4 µs/KB, the text written out). */
export const SAVE_SOURCES_UNITS_PER_KB = 2.5;
/**
 * The plan stage's index of the specs, the vault's ids and the intents, per spec: built once per run while the
 * process keeps it, or again at the start of an invocation that lost it (bench: loadSpecs from the parse cache).
 */
export const INDEX_UNITS_PER_SPEC = 0.6;
/** Making the plan from the diffed slices and saving it, per spec (assembly, policies, the plan's JSON). */
export const FINISH_UNITS_PER_SPEC = 0.75;
/**
 * The report: the saved plan read back (its changes and the names of the unchanged, about one row per listed
 * credential), the result built and handed to the reporter, per row (bench: about 0.25 µs a row).
 */
export const REPORT_UNITS_PER_ROW = 0.3;
/** What an invocation keeps back for the fixed work around its steps (reading state, persisting, reporting). */
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
