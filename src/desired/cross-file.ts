// Checks across files (names and imports are unique within each kind) over every item, valid or not, and the item names errors show.
import { itemIndex, itemOf, type Pos, type SpecError, type SpecErrorCode } from "./errors.js";
import type { KindList, KindSpecs } from "./kind-types.js";
import { NAME_PATTERN } from "./schema.js";
import type { CredentialSpec, SourceLocation } from "./types.js";

/** What an item claims across files: its name and import, placed at its name (or at the item without one). */
export interface Claim {
  /** The list it is in; absent means `credentials` (results cached before other kinds existed). */
  list?: KindList;
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
  kinds?: KindSpecs;
  claims?: readonly Claim[];
}

/** The claim of a raw item (one with errors), or null when it names nothing and imports nothing. */
export function claimOf(item: unknown, index: number, pos: Pos, list: KindList = "credentials"): Claim | null {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return null;
  const raw = item as Record<string, unknown>;
  // An invalid name is already an error of its own, and never names a credential: it claims nothing.
  const name = typeof raw.name === "string" && NAME_PATTERN.test(raw.name) ? raw.name : undefined;
  const imported = typeof raw.import === "string" ? raw.import : undefined;
  if (name === undefined && imported === undefined) return null;
  const where = pos([list, index, ...(name === undefined ? [] : ["name"])]);
  return { ...(list === "credentials" ? {} : { list }), index, ...(name === undefined ? {} : { name }), ...(imported === undefined ? {} : { import: imported }), line: where.line, column: where.column };
}

interface Named {
  name: string;
  import?: string;
  source: SourceLocation;
}

/** Every item's claim in the file's order, list by list: the specs' and the others' alike. */
function claimsOf(file: FileItems): Claim[] {
  const of = (list: KindList, specs: readonly Named[]): Claim[] =>
    specs.map((spec): Claim => ({
      ...(list === "credentials" ? {} : { list }),
      index: itemIndex(spec.source.field) ?? -1,
      name: spec.name,
      ...(spec.import === undefined ? {} : { import: spec.import }),
      line: spec.source.line,
      column: spec.source.column,
    }));
  const kinds = file.kinds;
  const all = [
    ...of("credentials", file.specs),
    ...(kinds ? [...of("service_users", kinds.service_users), ...of("api_keys", kinds.api_keys), ...of("ssh_credentials", kinds.ssh_credentials)] : []),
    ...(file.claims ?? []),
  ];
  return all.sort((a, b) => ((a.list ?? "credentials") < (b.list ?? "credentials") ? -1 : (a.list ?? "credentials") > (b.list ?? "credentials") ? 1 : a.index - b.index));
}

/** Names and imports are unique within a kind across all files; each second use is an error at that item, whatever else is wrong with it. */
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
      field: `${claim.list ?? "credentials"}[${claim.index}].${key}`,
      message,
    });
    for (const claim of claimsOf(file)) {
      const list = claim.list ?? "credentials";
      if (claim.name !== undefined) {
        const key = `${list}\0${claim.name}`;
        const first = byName.get(key);
        if (first) {
          errors.push(at(claim, "DUPLICATE_NAME", "name", `"${claim.name}" is already defined at ${first.file}:${first.claim.line}:${first.claim.column}; names are unique ${list === "credentials" ? "" : `among ${list} `}across all files`));
        } else byName.set(key, { file: file.file, claim });
      }
      if (claim.import !== undefined) {
        const key = `${list}\0${claim.import}`;
        const other = byImport.get(key);
        const owner = other?.claim.name === undefined ? "another item" : `"${other.claim.name}"`;
        if (other) errors.push(at(claim, "DUPLICATE_IMPORT", "import", `${claim.import} is already imported by ${owner} (${other.file}:${other.claim.line})`));
        else byImport.set(key, { file: file.file, claim });
      }
    }
  }
  return errors;
}

/** `errors` with `item` set to the name of the item each is in, where that item has a valid name. */
export function withItemNames(errors: readonly SpecError[], files: readonly FileItems[]): SpecError[] {
  const names = new Map<string, string>();
  for (const file of files) {
    for (const claim of claimsOf(file)) if (claim.name !== undefined) names.set(`${file.file}\0${claim.list ?? "credentials"}[${claim.index}]`, claim.name);
  }
  return errors.map((error) => {
    const item = itemOf(error.field);
    const name = item === null ? undefined : names.get(`${file(error)}\0${item}`);
    // A policy violation names its credential in its message already.
    return name === undefined || error.item !== undefined || error.code === "POLICY_VIOLATION" ? error : { ...error, item: name };
  });
}

const file = (error: SpecError): string => error.file;
