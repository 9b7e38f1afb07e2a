// Plan rendering for people: text for the terminal, markdown for GitHub, in the spirit of `terraform plan`.
import { utf8Bytes } from "../ownership/marker.js";
import { code, codeBlock } from "./inert.js";
import { settingLine, values } from "./settings.js";
import type { Change, Delivery, FieldChange, Plan, PlanChange, Refusal, ServiceUserChange } from "./types.js";
import { summarize } from "./types.js";

/**
 * Who reads the rendering. `operator`: the terminal and the authenticated plan_text, with every detail.
 * `public`: pull-request comments and checks, which anyone who can open a PR reads: nothing about credentials we
 * do not own (an import shows the values it will set, never the ones it finds; import refusals all read the same).
 */
export type Audience = "operator" | "public";

const SYMBOL = { create: "+", update: "~", import: "<=", replace: "-/+", rotate: "+/-", delete: "-" } as const;

const VERB = {
  create: "will be created",
  update: "will be updated in place",
  import: "will be imported (adopted, no new token)",
  replace: "must be replaced",
  rotate: "will be rotated",
  delete: "will be deleted",
} as const;

const DELETE_WHY = {
  removed: "its spec was removed",
  duplicate: "a second credential for the same name; the one whose token is stored is kept",
  orphan: "created by a run that never stored its token, so nobody holds it; it will be created again",
  retired: "the old credential of a rotation, past its grace window",
  // An expiry says whether MAX_DELETES counts it (see withExpiry).
  expired: "expired: its expires date, applied while still ahead, has passed",
  expiredCounted: "expired: its expires date was never applied while still ahead, so MAX_DELETES counts this delete",
} as const;

function deleteWhy(change: Extract<Change, { action: "delete" }>): string {
  return DELETE_WHY[change.reason === "expired" && change.matured !== true ? "expiredCounted" : change.reason];
}

/** One change as lines, each starting with its diff symbol so a ```diff block colours it. */
export function changeLines(change: PlanChange, audience: Audience = "operator"): string[] {
  const id = change.action === "create" ? "" : ` (${change.id})`;
  const head = `${SYMBOL[change.action]} ${change.name}${id} ${VERB[change.action]}`;
  if ("kind" in change && change.kind === "service_user") return [head, ...serviceUserLines(change)];
  const lines = [head];
  // An API key has no ACL; a public key is no secret (an API key's token never reaches a plan).
  const acl = "kind" in change && change.kind === "api_key" ? null : undefined;
  if (change.action === "create") {
    lines.push(...createFields(change.spec.description, change.spec.metadata, acl === null ? null : change.spec.acl, ownerShown(change.spec), change.spec.prevent_destroy));
    // The settings ngrok does not hold, reviewed with the new credential.
    for (const setting of ["rotate_after", "expires", "deliver"] as const) for (const value of values(change.spec, setting)) lines.push(`+     ${setting}: ${value}`);
  } else if (change.action === "delete") {
    lines.push(`-     # ${deleteWhy(change)}`);
  } else if (change.action === "import" && audience === "public") {
    // The live values belong to a credential we do not own yet: show only what the spec will set.
    lines.push(...createFields(change.spec.description, change.spec.metadata, acl === null ? null : change.spec.acl, undefined, change.spec.prevent_destroy));
  } else if (change.action === "rotate") {
    lines.push(`!     # ${change.reason}: a new credential (and token) is created; ${change.id} keeps working until ${change.retireAt}, then it is deleted`);
  } else {
    if (change.action === "replace") lines.push(`!     # ${change.reason}: a new credential (and token) is created first, then ${change.id} is deleted`);
    for (const field of change.fields) lines.push(...fieldLines(field));
  }
  return lines;
}

/** A service user's change: its fields (it has no metadata, no ACL and no secret). */
function serviceUserLines(change: ServiceUserChange): string[] {
  if (change.action === "create") return [`+     active: ${change.spec.active}`, ...(change.spec.roles.length > 0 ? [`+     roles: ${change.spec.roles.join(", ")}`] : [])];
  if (change.action === "delete") return [`-     # ${change.reason === "duplicate" ? "a second service user for the same name" : "its spec was removed"}`];
  return change.fields.flatMap(fieldLines);
}

/** `owner: <service user>` as written (its id may not exist yet), else the owner_id. */
function ownerShown(spec: { owner?: { name: string }; owner_id?: string }): string | undefined {
  return spec.owner ? `${spec.owner.name} (owner:)` : spec.owner_id;
}

function createFields(description: string, metadata: unknown, acl: readonly string[] | null, ownerId: string | undefined, protect: boolean): string[] {
  const lines: string[] = [];
  if (description) lines.push(`+     description: ${JSON.stringify(description)}`);
  if (metadata !== null) lines.push(`+     metadata: ${show(metadata)}`);
  if (acl !== null) lines.push(`+     acl: ${acl.length === 0 ? "[] (no restriction)" : acl.join(", ")}`);
  if (ownerId) lines.push(`+     owner_id: ${ownerId}`);
  if (protect) lines.push("+     prevent_destroy: true");
  return lines;
}

function fieldLines(change: FieldChange): string[] {
  if (change.field === "acl" && Array.isArray(change.before) && Array.isArray(change.after)) {
    const before = new Set(change.before);
    const after = new Set(change.after);
    const lines: string[] = [];
    for (const rule of change.after) if (!before.has(rule)) lines.push(`+     acl: + ${rule}`);
    for (const rule of change.before) if (!after.has(rule)) lines.push(`-     acl: - ${rule}`);
    if (change.after.length === 0) lines.push("~     acl: now [] (no restriction)");
    return lines;
  }
  return [`~     ${change.field}: ${show(change.before)} → ${show(change.after)}`];
}

function show(value: unknown): string {
  if (value === null || value === "") return "(none)";
  return JSON.stringify(value);
}

/** A delivery as one line; the token itself never appears, only where it goes. */
export function deliveryLine(delivery: Delivery): string {
  const t = delivery.target;
  const where = t.kind === "org" ? `organisation ${t.org}:${t.secret}` : `${t.repo}${t.environment ? ` (environment ${t.environment})` : ""}:${t.secret}`;
  if (delivery.refused) return delivery.action === "deliver" ? `! refused: deliver ${delivery.name} -> ${where}: ${delivery.refused}` : `! kept: secret ${where} (was ${delivery.name}): ${delivery.refused}`;
  return delivery.action === "deliver" ? `> deliver ${delivery.name} -> ${where}` : `< remove secret ${where} (was ${delivery.name})`;
}

export function summaryLine(plan: Plan): string {
  const counts = summarize(plan);
  const settings = plan.settings?.length ?? 0;
  const reviewed = settings === 0 ? "" : ` ${settings} reviewed setting${settings === 1 ? "" : "s"} changed since ${plan.settingsSince ?? "the previous specs"}, no ngrok call.`;
  return `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete.${reviewed}`;
}

/** What a plan without changes or deliveries says: nothing at all, or only reviewed settings (no ngrok call). */
function noChangesLine(plan: Plan): string {
  if ((plan.settings?.length ?? 0) === 0) return "No changes. The ngrok account matches the specs.";
  return "No ngrok changes: the account matches the specs. Reviewed settings changed; they need no ngrok call, but review them:";
}

/** The reviewed-setting lines, one block each (as changes are, for fitting). */
function settingBlocks(plan: Plan): string[][] {
  return (plan.settings ?? []).map((setting) => [settingLine(setting)]);
}

/**
 * The deliveries shown as lines of their own: a target added to (or removed from) a credential's `deliver` is already
 * its reviewed-setting line (`~ web: deliver + acme/site:T`), so its `> deliver` (`< remove secret`) line would say it
 * twice. A refused one stays (why is news), as does one no setting announces (a rotated token to an unchanged target).
 */
export function shownDeliveries(plan: Plan): Delivery[] {
  const announced = new Set((plan.settings ?? []).filter((s) => s.setting === "deliver").map((s) => `${s.name}\0${s.after !== null ? "+" : "-"}\0${targetKeyOf(s.after ?? s.before ?? "")}`));
  if (announced.size === 0) return plan.deliveries;
  return plan.deliveries.filter((d) => d.refused !== undefined || !announced.has(`${d.name}\0${d.action === "deliver" ? "+" : "-"}\0${d.target.key}`));
}

/** A deliver setting's value is the target's key, with an organisation secret's visibility after it. */
function targetKeyOf(value: string): string {
  return value.replace(/ \(visibility [a-z]+\)$/, "");
}

/** Whether the plan holds nothing to show: no change, delivery or reviewed setting. */
function isEmpty(plan: Plan): boolean {
  return plan.changes.length === 0 && shownDeliveries(plan).length === 0 && (plan.settings?.length ?? 0) === 0;
}

function contextLine(plan: Plan): string {
  const parts = [`${plan.unchanged.length} unchanged`, `${plan.unmanaged} unmanaged left alone`];
  if (plan.retiring > 0) parts.push(`${plan.retiring} rotated out, in their grace window`);
  if (plan.foreign > 0) parts.push(`${plan.foreign} owned by another installation left alone`);
  return parts.join(" · ");
}

/** A refusal's text for this audience: the operator also reads the detail (which may name what we do not own). */
function refusalText(refusal: Refusal, audience: Audience): string {
  return audience === "operator" && refusal.detail ? `${refusal.message} (${refusal.detail})` : refusal.message;
}

/** The plan for a terminal (and the operator's plan_text); `public` leaves out what only the operator may read. `changes`: its change lines rendered ahead (render-pieces.ts). */
export function renderText(plan: Plan, options: { audience?: Audience; changes?: string } = {}): string {
  const audience = options.audience ?? "operator";
  const out: string[] = [];
  const deliveries = shownDeliveries(plan);
  if (plan.changes.length === 0 && deliveries.length === 0) out.push(noChangesLine(plan));
  if (options.changes !== undefined) out.push(...(options.changes ? [options.changes.slice(0, -1)] : []));
  else for (const change of plan.changes) out.push(...changeLines(change, audience).map((line) => `  ${line}`), "");
  for (const delivery of deliveries) out.push(`  ${deliveryLine(delivery)}`);
  if (deliveries.length > 0) out.push("");
  for (const [line] of settingBlocks(plan)) out.push(`  ${line ?? ""}`);
  if ((plan.settings?.length ?? 0) > 0) out.push("");
  out.push(...footerLines(plan, audience));
  return `${out.join("\n")}\n`;
}

/** The end of the text form: the summary, the context, any refusals and notes. */
function footerLines(plan: Plan, audience: Audience): string[] {
  const out = [summaryLine(plan), contextLine(plan)];
  if (plan.refusals.length > 0) {
    out.push("", "Refused: nothing will be applied.");
    for (const refusal of plan.refusals) out.push(`  ✗ [${refusal.code}] ${refusalText(refusal, audience)}`);
  }
  for (const note of plan.notes) out.push(`  note: ${note}`);
  return out;
}

export interface MarkdownOptions {
  /** Heading, e.g. "ngrok-gitops plan for abc1234". */
  title?: string;
  /** The whole text stays under this many UTF-8 bytes (GitHub's count for a check; a comment's characters are never more); changes beyond it are counted, not shown. */
  maxBytes?: number;
  /** A hidden marker line (for sticky comments). */
  marker?: string;
}

/**
 * The plan for a GitHub comment, check run or issue: always the public view. Everything that comes from a spec
 * is inert: messages sit in code spans, the changes in a code block neither can break out of, and hidden
 * characters (bidi controls, zero-width characters, newlines) are shown escaped.
 */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxBytes = options.maxBytes ?? 60_000;
  const head: string[] = [];
  if (options.marker) head.push(options.marker);
  head.push(`### ${options.title ?? "ngrok-gitops plan"}`, "");
  const summary = `**${summaryLine(plan)}** ${contextLine(plan)}`;
  // Refusals, notes and changes share the budget, in that order: what does not fit is counted, never cut mid-line
  // (a cut inside a code span would render the rest of it live). Room is kept for the fences and the counts.
  const room = maxBytes - (utf8Bytes(head.join("\n")) + utf8Bytes(summary) + 600);
  const refusals = fitWithin(plan.refusals.map((refusal) => `- ⛔ ${code(refusal.code)} ${code(refusalText(refusal, "public"))}`), room, lineCost);
  const notes = fitWithin(plan.notes.map((note) => `> ${code(note)}`), refusals.room, lineCost);
  if (plan.refusals.length > 0) {
    head.push("**Refused: nothing will be applied.**", "", ...refusals.shown);
    if (refusals.hidden > 0) head.push(`- …and ${more(refusals.hidden, "refusal")} not shown here (GitHub's size limit); the operator's run record lists them all.`);
    head.push("");
  }
  head.push(summary, "");
  const tail = notes.shown;
  if (notes.hidden > 0) tail.push(`> …and ${more(notes.hidden, "note")} not shown here (GitHub's size limit); the operator's plan_text lists them all.`);
  if (isEmpty(plan)) return [...head, noChangesLine(plan), ...tail, ""].join("\n");
  // Reviewed settings only: said in a line the room kept for the counts covers.
  const deliveries = shownDeliveries(plan);
  if (plan.changes.length === 0 && deliveries.length === 0) head.push(noChangesLine(plan), "");

  // Rendered lazily: only what fits is rendered, so a plan of 10,000 changes costs what 60 KB of text does.
  const blocks = planBlocks(plan, deliveries, (change) => changeLines(change, "public"), (lines) => lines);
  // Measured as shown: escaping hidden characters makes a line longer.
  const { shown, hidden: unfit } = fitWithin(blocks, notes.room, (lines) => utf8Bytes(codeBlock(lines)) - 8 + 1);
  const hidden = unfit + (plan.omitted?.changes ?? 0);
  const body = [...head, codeBlock(shown.flat(), "diff")];
  if (hidden > 0) body.push("", `…and ${more(hidden, "change")} not shown here (GitHub's size limit); the full plan is in the audit log.`);
  return [...body, ...(tail.length ? ["", ...tail] : []), ""].join("\n");
}

/** What a markdown line costs in a GitHub text: its UTF-8 bytes and its newline. */
export const lineCost = (line: string): number => utf8Bytes(line) + 1;

function more(count: number, noun: string): string {
  return `${count} more ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The body of an apply check on the default branch, which anyone who can read the repository reads: the plan
 * in its public text form inside a code block, and each error in a code span (an error may quote a spec or an
 * API answer). For the run core's apply verdict.
 */
export function renderApplyMarkdown(input: { title: string; plan: Plan; review?: string; errors: readonly string[]; maxBytes?: number }): string {
  const { plan } = input;
  const head = [`### ${input.title}`, ""];
  if (input.review) head.push(input.review, "");
  const errors = input.errors.map((error) => `- ${code(error)}`);
  // The summary, refusals and notes always show; the changes fill what is left.
  const footer = footerLines(plan, "public").join("\n");
  const entries = planBlocks(plan, shownDeliveries(plan), (change) => changeLines(change, "public"), (lines) => lines.map((line) => `  ${line}`).join("\n"));
  // GitHub counts a check's text in UTF-8 bytes: whole entries fit in what the rest leaves, the others are counted.
  const room = (input.maxBytes ?? 60_000) - utf8Bytes([...head, ...errors, footer].join("\n")) - 300;
  const { shown, hidden: unfit } = fitWithin(entries, room, (entry) => utf8Bytes(entry) + 2);
  const hidden = unfit + (plan.omitted?.changes ?? 0); // a bounded plan's changes left out are counted too
  const body = entries.length === 0 ? renderText(plan, { audience: "public" }).trimEnd() : [...shown, footer].join("\n\n");
  const parts = [...head, codeBlock(body.split("\n"))];
  if (hidden > 0) parts.push("", `…and ${hidden} more not shown here (GitHub's size limit); the full plan is in the audit log.`);
  parts.push(...errors);
  return `${parts.join("\n")}\n`;
}

/** The change, delivery and settings blocks of a plan as a lazy list: an entry is rendered only when read. */
interface LazyList<T> {
  readonly length: number;
  at(index: number): T;
}

function planBlocks<T>(plan: Plan, deliveries: readonly Delivery[], lines: (change: Change) => string[], shape: (lines: string[]) => T): LazyList<T> {
  const settings = settingBlocks(plan);
  const { changes } = plan;
  return {
    length: changes.length + deliveries.length + settings.length,
    at: (i) => shape(i < changes.length ? lines(changes[i] as Change) : i < changes.length + deliveries.length ? [deliveryLine(deliveries[i - changes.length] as Delivery)] : (settings[i - changes.length - deliveries.length] as string[])),
  };
}

/** Whole entries while they fit `room` (each costing `size`), the rest only counted: a GitHub text's budget. `room`: what is left. */
export function fitWithin<T>(entries: readonly T[] | LazyList<T>, room: number, size: (entry: T) => number): { shown: T[]; hidden: number; room: number } {
  const shown: T[] = [];
  const read = Array.isArray(entries) ? (i: number) => entries[i] as T : (entries as LazyList<T>).at;
  for (let i = 0; i < entries.length; i++) {
    const entry = read(i);
    const cost = size(entry);
    if (cost > room) break;
    shown.push(entry);
    room -= cost;
  }
  return { shown, hidden: entries.length - shown.length, room };
}
