// Builds the validated spec of one item of any list, and the checks only some kinds have (owner, public_key).
import type { UserMetadata } from "../ownership/marker.js";
import { parseDuration } from "./duration.js";
import { fieldPath, type At, type Pos, type SpecError } from "./errors.js";
import { parseExpires } from "./expires.js";
import type { ApiKeySpec, KindList, OwnerRef, ServiceUserSpec, SshCredentialSpec } from "./kind-types.js";
import { publicKeyProblem } from "./ssh-public-key.js";
import type { CredentialSpec, SourceLocation } from "./types.js";

/** A validated item of one list. */
export type AnySpec =
  | { list: "credentials"; spec: CredentialSpec }
  | { list: "service_users"; spec: ServiceUserSpec }
  | { list: "api_keys"; spec: ApiKeySpec }
  | { list: "ssh_credentials"; spec: SshCredentialSpec };

/** The checks of `list` beyond the schema and the shared item checks: `owner` with `owner_id`, the public key. */
export function kindChecks(list: KindList, item: unknown, base: (string | number)[], pos: Pos, at: At): SpecError[] {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return [];
  const raw = item as Record<string, unknown>;
  const out: SpecError[] = [];
  const place = (code: SpecError["code"], key: string, message: string) => {
    const p = pos([...base, key]);
    out.push(at(code, p.line, p.column, fieldPath([...base, key]), message));
  };
  if (list !== "service_users" && raw.owner !== undefined && raw.owner_id !== undefined) {
    place("CONFLICTING_FIELDS", "owner", "owner and owner_id cannot both be set: name the service user (owner) or give an id (owner_id)");
  }
  if (list === "ssh_credentials" && typeof raw.public_key === "string") {
    const problem = publicKeyProblem(raw.public_key);
    if (problem) place(problem.code, "public_key", problem.message);
  }
  return out;
}

/** The spec of an item the schema and every check accepted (`input` is the schema's output). */
export function buildSpec(list: KindList, input: Record<string, unknown>, file: string, base: (string | number)[], pos: Pos): AnySpec {
  const where = pos([...base, "name"]);
  const source: SourceLocation = { file, line: where.line, column: where.column, field: fieldPath(base) };
  const name = input.name as string;
  const prevent_destroy = (input.prevent_destroy as boolean | undefined) ?? false;
  const optional = <T extends object>(spec: T): T => {
    const out: Record<string, unknown> = spec as Record<string, unknown>;
    if (input.owner_id !== undefined) out["owner_id"] = input.owner_id;
    if (typeof input.owner === "string") out["owner"] = { name: input.owner } satisfies OwnerRef;
    if (input.import !== undefined) out["import"] = input.import;
    if (typeof input.rotate_after === "string") out["rotate_after_ms"] = parseDuration(input.rotate_after);
    if (typeof input.expires === "string") {
      out["expires"] = input.expires;
      out["expires_ms"] = parseExpires(input.expires) as number;
    }
    return spec;
  };
  switch (list) {
    case "service_users": {
      const spec: ServiceUserSpec = { name, active: (input.active as boolean | undefined) ?? true, roles: [...new Set((input.roles as string[] | undefined) ?? [])].sort(), prevent_destroy, source };
      if (input.import !== undefined) spec.import = input.import as string;
      return { list, spec };
    }
    case "api_keys":
      return { list, spec: optional<ApiKeySpec>({ name, description: (input.description as string | undefined) ?? "", metadata: metadataOf(input.metadata), prevent_destroy, deliver: (input.deliver as ApiKeySpec["deliver"] | undefined) ?? [], source }) };
    case "ssh_credentials":
      return {
        list,
        spec: optional<SshCredentialSpec>({
          name,
          description: (input.description as string | undefined) ?? "",
          metadata: metadataOf(input.metadata),
          acl: [...new Set((input.acl as string[] | undefined) ?? [])].sort(),
          public_key: (input.public_key as string).trim(),
          prevent_destroy,
          source,
        }),
      };
    case "credentials":
      return {
        list,
        spec: optional<CredentialSpec>({
          name,
          description: (input.description as string | undefined) ?? "",
          metadata: metadataOf(input.metadata),
          acl: [...new Set((input.acl as string[] | undefined) ?? [])].sort(),
          prevent_destroy,
          deliver: (input.deliver as CredentialSpec["deliver"] | undefined) ?? [],
          source,
        }),
      };
  }
}

/** An empty mapping means no metadata, as for credentials. */
function metadataOf(value: unknown): UserMetadata {
  const metadata = value === undefined ? null : (value as UserMetadata);
  return metadata !== null && typeof metadata === "object" && Object.keys(metadata).length === 0 ? null : metadata;
}
