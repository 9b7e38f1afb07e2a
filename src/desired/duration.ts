// Durations in specs (`rotate_after: 90d`): a whole number and one unit, parsed to milliseconds.

export const DURATION_PATTERN = /^[1-9][0-9]{0,5}(m|h|d|w)$/;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds for a duration that matched DURATION_PATTERN. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new RangeError(`not a duration: ${JSON.stringify(text)}`);
  const unit = match[1] as keyof typeof UNIT_MS;
  return Number.parseInt(text, 10) * UNIT_MS[unit];
}

/** `ms` as a duration in the largest unit that divides it, weeks aside: `90d`, `14d`, `36h`, `90m`. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m"] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
