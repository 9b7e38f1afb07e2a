// The CLI's own files read back (intent log, applied specs, token store binding) go through a zod schema: a file that does not fit names its path and field.
import type { z } from "zod";
import { describeIssues } from "../run/state-schema.js";
import { CliError, type CliErrorCode } from "./errors.js";

/** `text` of the file at `path` parsed and checked against `schema`; otherwise a CliError naming the file and the field, ending with `fix`. */
export function readJsonFile<S extends z.ZodType>(schema: S, text: string, path: string, code: CliErrorCode, fix: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(code, `${path} is not valid JSON; ${fix}`);
  }
  const checked = schema.safeParse(value);
  if (!checked.success) throw new CliError(code, `${path} does not read back: ${describeIssues(checked.error).replaceAll("(state)", "(file)")}; ${fix}`);
  return checked.data;
}
