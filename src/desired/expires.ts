// Expiry dates in specs (`expires: 2027-01-31` or an RFC 3339 time), parsed to milliseconds since the epoch.

/** A date (YYYY-MM-DD), or an RFC 3339 time with seconds and an offset (Z or ±hh:mm). */
export const EXPIRES_PATTERN = /^\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

const DAY_MS = 86_400_000;

/**
 * The instant a spec expires, or null when the text names no real date or time (2027-02-30, 25:00:00).
 * A date alone means 00:00 UTC that day: a credential that "expires on 2027-01-31" is gone on that day.
 */
export function parseExpires(text: string): number | null {
  if (!EXPIRES_PATTERN.test(text)) return null;
  const [year, month, day] = [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  const midnight = Date.UTC(year, month - 1, day);
  const date = new Date(midnight);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  if (text.length === 10) return midnight;
  const [hour, minute, second] = [Number(text.slice(11, 13)), Number(text.slice(14, 16)), Number(text.slice(17, 19))];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const zone = /([Zz]|[+-]\d{2}:\d{2})$/.exec(text)?.[1] ?? "Z";
  let offsetMs = 0;
  if (zone !== "Z" && zone !== "z") {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return null;
    offsetMs = (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? "";
  const ms = fraction === "" ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  return midnight + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offsetMs;
}

/** `2027-01-31` for an instant at 00:00 UTC, else `2027-01-31 14:00 UTC` (seconds when they are not zero). */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (ms % DAY_MS === 0) return iso.slice(0, 10);
  const seconds = iso.slice(17, 19) === "00" && iso.slice(20, 23) === "000" ? "" : `:${iso.slice(17, 19)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds} UTC`;
}

/** Whole days left from `now` to `at` (0 when under a day is left). */
export function daysLeft(at: number, now: number): number {
  return Math.max(0, Math.floor((at - now) / DAY_MS));
}
