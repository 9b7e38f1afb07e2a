// Runtime configuration from the Worker's environment, validated once per run with errors that name the variable.

import { DURATION_PATTERN, parseDuration } from "./spec/duration.js";

export interface Config {
  repository: string;
  ownerId: string;
  driftMode: "correct" | "report";
  maxDeletes: number;
  maxSubrequests: number;
  ngrokApiUrl: string;
  githubApiUrl: string;
  rotationGraceMs: number;
  /** rotate_after for specs that set none; undefined = never. */
  defaultRotateAfterMs: number | undefined;
}

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
}

export function parseConfig(env: Env): Config {
  const repository = env.GITHUB_REPOSITORY ?? "";
  if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) throw new ConfigError("GITHUB_REPOSITORY must be owner/name");
  if (!env.OWNER_ID) throw new ConfigError("OWNER_ID must be set: it identifies this installation's credentials");
  const driftMode = env.DRIFT_MODE || "correct";
  if (driftMode !== "correct" && driftMode !== "report") throw new ConfigError('DRIFT_MODE must be "correct" or "report"');
  return {
    repository,
    ownerId: env.OWNER_ID,
    driftMode,
    maxDeletes: wholeNumber("MAX_DELETES", env.MAX_DELETES, 10),
    maxSubrequests: wholeNumber("MAX_SUBREQUESTS", env.MAX_SUBREQUESTS, 50),
    ngrokApiUrl: env.NGROK_API_URL || "https://api.ngrok.com",
    githubApiUrl: env.GITHUB_API_URL || "https://api.github.com",
    rotationGraceMs: duration("ROTATION_GRACE", env.ROTATION_GRACE) ?? 3_600_000,
    defaultRotateAfterMs: duration("ROTATE_AFTER", env.ROTATE_AFTER),
  };
}

function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!DURATION_PATTERN.test(value)) throw new ConfigError(`${name} must be a duration like 1h or 90d, got ${JSON.stringify(value)}`);
  return parseDuration(value);
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number.parseInt(value, 10);
}
