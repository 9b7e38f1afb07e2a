// Checks across files (names and imports are unique) over every item, valid or not, and the item names errors show.
import { itemIndex, type Pos, type SpecError, type SpecErrorCode } from "./errors.js";
import { NAME_PATTERN } from "./schema.js";
import type { CredentialSpec } from "./types.js";

/** What an item claims across files: its name and import, placed at its name (or at the item without one). */
export interface Claim {
  index: number;
  name?: string;
  import?: string;
  line: number;
  column: number;
}

/** One file's items: its specs, and the claims of its items that are not specs. */
export interface FileItems {
  file: string;
  specs: readonly CredentialSpec[];
  claims?: readonly Claim[];
}

/** The claim of a raw item (one with errors), or null when it names nothing and imports nothing. */
export function claimOf(item: unknown, index: number, pos: Pos): Claim | null {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return null;
  const raw = item as Record<string, unknown>;
  // An invalid name is already an error of its own, and never names a credential: it claims nothing.
  const name = typeof raw.name === "string" && NAME_PATTERN.test(raw.name) ? raw.name : undefined;
  const imported = typeof raw.import === "string" ? raw.import : undefined;
  if (name === undefined && imported === undefined) return null;
  const where = pos(["credentials", index, ...(name === undefined ? [] : ["name"])]);
  return { index, ...(name === undefined ? {} : { name }), ...(imported === undefined ? {} : { import: imported }), line: where.line, column: where.column };
}

/** Every item's claim in the file's order: the specs' and the others' alike. */
function claimsOf(file: FileItems): Claim[] {
  const specs = file.specs.map((spec): Claim => ({
    index: itemIndex(spec.source.field) ?? -1,
    name: spec.name,
    ...(spec.import === undefined ? {} : { import: spec.import }),
    line: spec.source.line,
    column: spec.source.column,
  }));
  return [...specs, ...(file.claims ?? [])].sort((a, b) => a.index - b.index);
}

/** Names and imports are unique across all files; each second use is an error at that item, whatever else is wrong with it. */
export function crossFileErrors(files: readonly FileItems[]): SpecError[] {
  const errors: SpecError[] = [];
  const byName = new Map<string, { file: string; claim: Claim }>();
  const byImport = new Map<string, { file: string; claim: Claim }>();
  for (const file of files) {
    const at = (claim: Claim, code: SpecErrorCode, key: string, message: string): SpecError => ({
      code,
      file: file.file,
      line: claim.line,
      column: claim.column,
      field: `credentials[${claim.index}].${key}`,
      message,
    });
    for (const claim of claimsOf(file)) {
      if (claim.name !== undefined) {
        const first = byName.get(claim.name);
        if (first) {
          errors.push(at(claim, "DUPLICATE_NAME", "name", `"${claim.name}" is already defined at ${first.file}:${first.claim.line}:${first.claim.column}; names are unique across all files`));
        } else byName.set(claim.name, { file: file.file, claim });
      }
      if (claim.import !== undefined) {
        const other = byImport.get(claim.import);
        const owner = other?.claim.name === undefined ? "another item" : `"${other.claim.name}"`;
        if (other) errors.push(at(claim, "DUPLICATE_IMPORT", "import", `${claim.import} is already imported by ${owner} (${other.file}:${other.claim.line})`));
        else byImport.set(claim.import, { file: file.file, claim });
      }
    }
  }
  return errors;
}

/** `errors` with `item` set to the name of the item each is in, where that item has a valid name. */
export function withItemNames(errors: readonly SpecError[], files: readonly FileItems[]): SpecError[] {
  const names = new Map<string, string>();
  for (const file of files) {
    for (const claim of claimsOf(file)) if (claim.name !== undefined) names.set(`${file.file}\0${claim.index}`, claim.name);
  }
  return errors.map((error) => {
    const index = itemIndex(error.field);
    const name = index === null ? undefined : names.get(`${error.file}\0${index}`);
    // A policy violation names its credential in its message already.
    return name === undefined || error.item !== undefined || error.code === "POLICY_VIOLATION" ? error : { ...error, item: name };
  });
}
