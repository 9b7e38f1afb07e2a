// Expiry over plan data: expired specs are deleted (never created), and those expiring soon are announced.
import { daysLeft, formatInstant } from "../desired/expires.js";
import type { CredentialSpec } from "../desired/types.js";
import type { Credential } from "../ngrok/types.js";
import { decodeMetadata } from "../ownership/marker.js";
import { markerExpires } from "./read-live.js";
import type { ExpiringCredential, Plan, PlanChange } from "./types.js";

/** EXPIRY_WARNING's default: plans announce an expiry this long before it. */
export const DEFAULT_EXPIRY_WARNING_MS = 7 * 86_400_000;

/** Notes name at most this many credentials each; the rest are counted. */
const NAMED = 10;

/** Specs whose `expires` is at or before `now`, and the rest. */
export function splitExpired(specs: readonly CredentialSpec[], now: number): { current: CredentialSpec[]; expired: CredentialSpec[] } {
  const current: CredentialSpec[] = [];
  const expired: CredentialSpec[] = [];
  for (const spec of specs) (spec.expires_ms !== undefined && spec.expires_ms <= now ? expired : current).push(spec);
  return { current, expired };
}

/** Specs that expire after `now` but within `warningMs` of it, soonest first. */
export function expiringSoon(specs: readonly CredentialSpec[], now: number, warningMs: number): ExpiringCredential[] {
  const out: ExpiringCredential[] = [];
  for (const spec of specs) {
    if (spec.expires === undefined || spec.expires_ms === undefined) continue;
    if (spec.expires_ms <= now || spec.expires_ms - now > warningMs) continue;
    out.push({ name: spec.name, expires: spec.expires, at: new Date(spec.expires_ms).toISOString(), days: daysLeft(spec.expires_ms, now), source: spec.source });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.name < b.name ? -1 : 1));
}

/**
 * The diff of the current specs, told about the expired ones: deleting the live credential of an expired spec
 * is for reason "expired", an expired spec with nothing live is noted as not created, and the ones expiring soon
 * are listed and announced. An expiry deletion is `matured` when the live marker holds the spec's very date (an
 * apply wrote it while the date was ahead); a date already past when its commit was applied never reached the
 * marker, so its deletion is an ordinary one for MAX_DELETES: one edit cannot delete many credentials at once.
 */
export function withExpiry(plan: Plan, expired: readonly CredentialSpec[], current: readonly CredentialSpec[], now: number, warningMs: number, live: readonly Credential[] = []): Plan {
  const expiredSpecs = new Map(expired.map((spec) => [spec.name, spec]));
  const ids = new Set(plan.changes.flatMap((change) => (change.action === "delete" && change.reason === "removed" && expiredSpecs.has(change.name) ? [change.id] : [])));
  // Only the credentials of expired specs are decoded: a handful, not the account.
  const applied = new Map<string, string | undefined>();
  for (const credential of ids.size > 0 ? live : []) {
    if (!ids.has(credential.id)) continue;
    const decoded = decodeMetadata(credential.metadata);
    applied.set(credential.id, decoded.kind === "managed" ? decoded.marker.expires : undefined);
  }
  const changes = plan.changes.map((change): PlanChange => {
    const spec = change.action === "delete" && change.reason === "removed" ? expiredSpecs.get(change.name) : undefined;
    if (change.action !== "delete" || spec === undefined) return change;
    // The marker's date is the spec's and was ahead of the apply that wrote it (markerExpires at that apply's now).
    const marked = applied.get(change.id);
    const matured = marked !== undefined && marked === markerExpires(spec, Number.NEGATIVE_INFINITY);
    return { ...change, reason: "expired", matured };
  });
  const notes = [...plan.notes];
  const touched = new Set(plan.changes.map((change) => change.name));
  const absent = expired.filter((spec) => !touched.has(spec.name));
  if (absent.length > 0) {
    const shown = absent.slice(0, NAMED).map((spec) => `"${spec.name}" (${formatInstant(spec.expires_ms as number)})`).join(", ");
    const more = absent.length > NAMED ? ` and ${absent.length - NAMED} more` : "";
    const verb = absent.length === 1 ? "has expired and is not created" : "have expired and are not created";
    notes.push(`${shown}${more} ${verb}; remove ${absent.length === 1 ? "its spec" : "their specs"}, or move expires to renew`);
  }
  const expiring = expiringSoon(current, now, warningMs);
  for (const soon of expiring.slice(0, NAMED)) {
    const left = soon.days === 0 ? "in under a day" : `in ${soon.days} day${soon.days === 1 ? "" : "s"}`;
    notes.push(`"${soon.name}" expires on ${formatInstant(Date.parse(soon.at))} (${left}): to keep it, move its expires date in a pull request`);
  }
  if (expiring.length > NAMED) notes.push(`${expiring.length - NAMED} more credentials expire within ${Math.round(warningMs / 86_400_000)} days`);
  return { ...plan, changes, notes, expiring };
}

/** The expiring credentials as a markdown section (for the drift issue, or an issue of their own); "" when none. */
export function expiringMarkdown(expiring: readonly ExpiringCredential[], warningMs: number = DEFAULT_EXPIRY_WARNING_MS): string {
  if (expiring.length === 0) return "";
  const cell = (text: string) => text.replace(/[|\\`<>]/g, (c) => `\\${c}`);
  const lines = [
    `### Expiring within ${Math.round(warningMs / 86_400_000)} days`,
    "",
    "Move `expires` in a pull request to keep one.",
    "",
    "| credential | expires | days left | spec |",
    "|---|---|---|---|",
  ];
  for (const soon of expiring) {
    lines.push(`| ${cell(soon.name)} | ${formatInstant(Date.parse(soon.at))} | ${soon.days === 0 ? "under 1" : soon.days} | ${cell(soon.source.file)}:${soon.source.line} |`);
  }
  return `${lines.join("\n")}\n`;
}
