// The specs the CLI last applied (Node only), kept beside the token store: what `plan` compares reviewed settings with.
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OTHER_KIND_LISTS, type OtherKindList } from "../desired/kind-types.js";
import type { SpecSource } from "../desired/types.js";
import type { KindsLedger } from "../run/ports.js";
import { isErrno, writeFileAtomic } from "../vault/file-store.js";
import { z } from "zod";
import { CliError } from "./errors.js";
import { readJsonFile } from "./persisted-file.js";

const appliedSchema = z.object({ applied_at: z.string(), sources: z.array(z.object({ path: z.string(), content: z.string() })) });

/** `.ngrok-gitops/tokens.json` → `.ngrok-gitops/applied.json`; any other name `x.json` → `x.applied.json` beside it. */
export function appliedPathFor(tokensPath: string): string {
  const name = basename(tokensPath);
  if (name === "tokens.json") return join(dirname(tokensPath), "applied.json");
  return join(dirname(tokensPath), `${name.replace(/\.json$/, "")}.applied.json`);
}

/** The specs of the last full apply from this store, or null when there was none (the plan then notes it). */
export async function readAppliedSpecs(path: string): Promise<{ label: string; sources: SpecSource[] } | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return null;
    throw new CliError("CLI_APPLIED_INVALID", `cannot read ${path}`, { cause: error });
  }
  const record = readJsonFile(appliedSchema, text, path, "CLI_APPLIED_INVALID", `it is {"applied_at", "sources": [{"path", "content"}]}: remove it (the next apply writes it again)`);
  return { label: `the last apply from here (${record.applied_at})`, sources: record.sources.map((s) => ({ path: s.path, content: s.content })) };
}

/** Records `sources` as applied (after an apply that converged the whole account, not a --target one). */
export async function writeAppliedSpecs(path: string, sources: readonly SpecSource[], at: Date = new Date()): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ applied_at: at.toISOString(), sources: sources.map((s) => ({ path: s.path, content: s.content })) })}\n`);
}

const kindsSchema = z.object({ kinds: z.array(z.enum(OTHER_KIND_LISTS as [OtherKindList, ...OtherKindList[]])) });

/** `.ngrok-gitops/tokens.json` → `.ngrok-gitops/kinds.json`; any other `x.json` → `x.kinds.json` beside it. */
export function kindsPathFor(tokensPath: string): string {
  const name = basename(tokensPath);
  if (name === "tokens.json") return join(dirname(tokensPath), "kinds.json");
  return join(dirname(tokensPath), `${name.replace(/\.json$/, "")}.kinds.json`);
}

/** The kinds applied from this store (RunPorts.kindsApplied): none when the file does not exist yet. */
export function kindsLedgerAt(path: string): KindsLedger {
  return {
    read: async () => {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if (isErrno(error, "ENOENT")) return [];
        throw new CliError("CLI_APPLIED_INVALID", `cannot read ${path}`, { cause: error });
      }
      return readJsonFile(kindsSchema, text, path, "CLI_APPLIED_INVALID", `it is {"kinds": ["service_users" | "api_keys" | "ssh_credentials", …]}: fix it rather than remove it (it says which kinds to list for our resources)`).kinds;
    },
    write: async (lists) => writeFileAtomic(path, `${JSON.stringify({ kinds: [...lists] })}\n`),
  };
}
