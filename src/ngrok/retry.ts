// Retry timing: full-jitter exponential backoff and Retry-After parsing (seconds or HTTP-date).

/** AWS-style full jitter: a uniform delay in [0, min(cap, base·2^attempt)). */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Milliseconds to wait per a Retry-After header, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, capMs: number, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(capMs, Math.max(0, Math.ceil(ms)));
}
