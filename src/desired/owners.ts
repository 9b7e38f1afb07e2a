// `owner: <service user name>`: each must name a service user of the specs, or one on the account; otherwise an error where it is written.
import type { SpecError } from "./errors.js";
import type { KindSpecs, OwnerRef } from "./kind-types.js";
import { LineCounter, parseDocument } from "yaml";
import { locate } from "./positions.js";
import type { CredentialSpec, SourceLocation, SpecSource } from "./types.js";

/** A spec that may name its owner. */
interface Owning {
  name: string;
  owner?: OwnerRef;
  source: SourceLocation;
}

/** Every spec that names an owner, with the field it is written in. */
export function ownersNamed(specs: readonly CredentialSpec[], kinds: KindSpecs): { spec: Owning; field: string }[] {
  const out: { spec: Owning; field: string }[] = [];
  for (const list of [specs, kinds.api_keys, kinds.ssh_credentials] as const) {
    for (const spec of list as readonly Owning[]) if (spec.owner !== undefined) out.push({ spec, field: `${spec.source.field}.owner` });
  }
  return out;
}

/**
 * Owners that name no service user of the specs, nor (when the account's are known) one on the account. Without
 * `account` (validating a folder, before the listing) only the specs count.
 */
export function ownerErrors(specs: readonly CredentialSpec[], kinds: KindSpecs, sources: readonly SpecSource[], account?: ReadonlySet<string>): SpecError[] {
  const inTree = new Set(kinds.service_users.map((user) => user.name));
  const errors: SpecError[] = [];
  for (const { spec, field } of ownersNamed(specs, kinds)) {
    const owner = spec.owner as OwnerRef;
    if (inTree.has(owner.name) || account?.has(owner.name)) continue;
    const known = inTree.size === 0 ? "the specs define no service users" : `service users defined: ${[...inTree].sort().slice(0, 5).join(", ")}${inTree.size > 5 ? ", …" : ""}`;
    const where = placeOf(spec, sources);
    errors.push({
      code: "UNKNOWN_OWNER",
      file: spec.source.file,
      line: where.line,
      column: where.column,
      field,
      item: spec.name,
      message: `names no service user "${owner.name}" ${account ? "in the specs or on the account" : "in the specs"} (${known}); add it under service_users: or use owner_id`,
    });
  }
  return errors;
}

/**
 * Where the spec's `owner` is: the fast parse places only names, so the file is parsed again with positions (only
 * for an error, which is rare). The name's position when the file cannot be read.
 */
function placeOf(spec: Owning, sources: readonly SpecSource[]): { line: number; column: number } {
  const item = /^([a-z_]+)\[(\d+)\]$/.exec(spec.source.field);
  const text = sources.find((source) => source.path === spec.source.file)?.content;
  if (item === null || text === undefined) return { line: spec.source.line, column: spec.source.column };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  return locate(doc, lines, [item[1] as string, Number(item[2]), "owner"]);
}
