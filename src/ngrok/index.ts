// Public surface of the ngrok API edge: the client, its errors and the wire types.
export { NgrokClient } from "./client";
export type { FetchLike, NgrokClientOptions, NgrokClientStats } from "./client";
export { NgrokApiError, NgrokNetworkError, NgrokProtocolError } from "./errors";
export type { NgrokError, NgrokOperation } from "./errors";
export * from "./types";
