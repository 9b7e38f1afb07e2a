// Validation errors: every one names the file, line, column and field, and has a stable code.

export type SpecErrorCode =
  | "YAML_SYNTAX"
  | "YAML_LIMIT"
  | "FILE_TOO_LARGE"
  /** Larger than one invocation's CPU (MAX_CPU_MS) can parse: refused before parsing, on the Worker only. */
  | "FILE_OVER_CPU_BUDGET"
  | "NOT_A_MAPPING"
  | "UNKNOWN_KEY"
  | "MISSING_FIELD"
  | "WRONG_TYPE"
  | "INVALID_VALUE"
  | "TOO_LONG"
  | "DUPLICATE_NAME"
  | "DUPLICATE_IMPORT"
  | "RESERVED_KEY"
  | "CONFLICTING_FIELDS"
  /** An `owner:` that names no service user in the specs or on the account. */
  | "UNKNOWN_OWNER"
  /** An SSH credential's public_key holds a private key (never repeated in the message). */
  | "PRIVATE_KEY"
  | "POLICY_VIOLATION"
  | "TOO_MANY_FILES"
  | "TOO_MANY_ERRORS";

export interface SpecError {
  code: SpecErrorCode;
  /** Path of the file, relative to the repository root, e.g. credentials/ci.yaml. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the file, e.g. credentials[2].acl[0]; "" for the file as a whole. */
  field: string;
  message: string;
  /** For POLICY_VIOLATION: the policy rule broken, e.g. `acl.allow`. */
  rule?: string;
  /** The `name` of the item the field is in (`credentials[N]…`), when it has a valid one: messages show it. */
  item?: string;
}

/** Builds an error at a line and column (the file is the caller's). */
export type At = (code: SpecErrorCode, line: number, column: number, field: string, message: string) => SpecError;
/** Where a path of the parsed file is (its key's position when `atKey`). */
export type Pos = (path: (string | number)[], atKey?: boolean) => { line: number; column: number };

/** `credentials/ci.yaml:12:9: credentials[0] (ci-runners).acl[1]: invalid ACL rule …` */
export function formatSpecError(error: SpecError): string {
  const where = `${error.file}:${error.line}:${error.column}`;
  const field = fieldLabel(error);
  return field ? `${where}: ${field}: ${error.message}` : `${where}: ${error.message}`;
}

/** The field as people read it: the item's name after its index, `credentials[7] (ci-runners).acl[0]`. */
export function fieldLabel(error: Pick<SpecError, "field" | "item">): string {
  const item = ITEM.exec(error.field);
  if (item === null || error.item === undefined) return error.field;
  return `${item[0]} (${error.item})${error.field.slice(item[0].length)}`;
}

const ITEM = /^(?:credentials|service_users|api_keys|ssh_credentials)\[\d+\]/;

/** The index of the item a field is in (`credentials[3].acl[0]` → 3), or null. */
export function itemIndex(field: string): number | null {
  const item = /^(?:credentials|service_users|api_keys|ssh_credentials)\[(\d+)\]/.exec(field);
  return item === null ? null : Number(item[1]);
}

/** The item a field is in, as its list and index (`api_keys[3].owner` → `api_keys[3]`), or null. */
export function itemOf(field: string): string | null {
  return ITEM.exec(field)?.[0] ?? null;
}

/** `credentials[0].acl[1]` from a path of keys and indexes. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
