// Public surface of the ngrok API edge: the client, its pacing to the account's rate limit, its errors and the wire types.
export { NgrokClient } from "./client";
export type { FetchLike, NgrokClientOptions, NgrokClientStats } from "./client";
export { AccountLimiter } from "./limiter";
export type { CallOutcome, LimiterOptions, LimiterSnapshot, LimiterStats, Permit } from "./limiter";
export { ProgressTracker, formatProgress, progressNow } from "./progress";
export type { ApplyProgress, ProgressOptions } from "./progress";
export { NGROK_RATE_LIMIT, RateLimitSyntaxError, formatRateLimit, parseRateLimit, rateLimitFromEnv } from "./rate-limit";
export type { RateLimit } from "./rate-limit";
export { NgrokApiError, NgrokNetworkError, NgrokProtocolError } from "./errors";
export type { NgrokError, NgrokOperation } from "./errors";
export * from "./types";
