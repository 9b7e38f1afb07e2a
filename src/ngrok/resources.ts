// One client path for every resource kind: list pages, create, update and delete by the kind's record, through NgrokClient's pacing and retries.
import type { KindRecord } from "../kinds/records.js";
import { NgrokProtocolError } from "./errors.js";
import type { NgrokClient } from "./client.js";
import { MAX_PAGE_LIMIT } from "./types.js";

/** A live resource of any kind, as ngrok returns it: the fields its kind has. `token` is set only in a create's answer. */
export interface LiveResource {
  id: string;
  created_at: string;
  description?: string;
  metadata?: string;
  name?: string;
  active?: boolean;
  roles?: string[];
  acl?: string[];
  owner_id?: string;
  public_key?: string;
  token?: string | null;
}

export type ResourceBody = Partial<Omit<LiveResource, "id" | "created_at" | "token">>;

/** The calls the kind-generic run makes; ResourceClient satisfies it (a test double need only answer these). */
export interface ResourcesApi {
  listPage(kind: KindRecord, cursor: string | null): Promise<{ items: LiveResource[]; next: string | null }>;
  create(kind: KindRecord, body: ResourceBody): Promise<LiveResource>;
  update(kind: KindRecord, id: string, body: ResourceBody): Promise<LiveResource>;
  delete(kind: KindRecord, id: string): Promise<void>;
}

export class ResourceClient implements ResourcesApi {
  constructor(private readonly client: Pick<NgrokClient, "send">) {}

  /** One page (100 resources) of the kind: cursor null for the first, then the `next` returned; next null at the end. */
  async listPage(kind: KindRecord, cursor: string | null): Promise<{ items: LiveResource[]; next: string | null }> {
    const op = `${kind.op}.list` as const;
    const data = await this.client.send(op, "GET", cursor ?? `${kind.path}?limit=${MAX_PAGE_LIMIT}`);
    if (typeof data !== "object" || data === null || !Array.isArray((data as Record<string, unknown>)[kind.wireList])) throw new NgrokProtocolError(op, `the list has no ${kind.wireList} array`);
    const page = data as Record<string, unknown>;
    const items = (page[kind.wireList] as unknown[]).map((item) => parseResource(op, item));
    const next = typeof page.next_page_uri === "string" && page.next_page_uri !== "" ? page.next_page_uri : null;
    if (next !== null && items.length === 0) throw new NgrokProtocolError(op, "an empty page announced a next page");
    return { items, next };
  }

  /** Every resource of the kind, page by page. */
  async list(kind: KindRecord): Promise<LiveResource[]> {
    const out: LiveResource[] = [];
    const seen = new Set<string>();
    for (let cursor: string | null = null, pages = 0; ; pages++) {
      if (pages >= 10_000) throw new NgrokProtocolError(`${kind.op}.list`, "more than 10000 pages");
      const page: { items: LiveResource[]; next: string | null } = await this.listPage(kind, cursor);
      for (const item of page.items) if (!seen.has(item.id)) (seen.add(item.id), out.push(item));
      if (page.next === null || page.next === cursor) return out;
      cursor = page.next;
    }
  }

  /** A kind with a secret answers it here only: a NgrokNetworkError or 5xx has outcomeUnknown (write-ahead intents cover it). */
  async create(kind: KindRecord, body: ResourceBody): Promise<LiveResource> {
    const op = `${kind.op}.create` as const;
    return parseResource(op, await this.client.send(op, "POST", kind.path, only(kind.createFields, body, op)));
  }

  async update(kind: KindRecord, id: string, body: ResourceBody): Promise<LiveResource> {
    const op = `${kind.op}.update` as const;
    return parseResource(op, await this.client.send(op, "PATCH", `${kind.path}/${encodeURIComponent(id)}`, only(kind.updateFields, body, op)));
  }

  async delete(kind: KindRecord, id: string): Promise<void> {
    await this.client.send(`${kind.op}.delete`, "DELETE", `${kind.path}/${encodeURIComponent(id)}`);
  }
}

/** A body with a field the kind cannot send is our bug: refused before it reaches ngrok. */
function only(fields: readonly string[], body: ResourceBody, op: string): ResourceBody {
  for (const key of Object.keys(body)) if (!fields.includes(key)) throw new Error(`internal: ${op} cannot send ${key}`);
  return body;
}

const STRINGS = ["description", "metadata", "name", "owner_id", "public_key"] as const;

/** A resource of any kind, its fields type-checked; a protocol error names what is wrong. */
export function parseResource(op: Parameters<NgrokClient["send"]>[0], value: unknown): LiveResource {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new NgrokProtocolError(op, "a resource is not an object");
  const v = value as Record<string, unknown>;
  if (typeof v.id !== "string" || typeof v.created_at !== "string") throw new NgrokProtocolError(op, "a resource lacks id or created_at");
  const out: LiveResource = { id: v.id, created_at: v.created_at };
  for (const key of STRINGS) {
    const field = v[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== "string") throw new NgrokProtocolError(op, `${v.id}: ${key} is not a string`);
    out[key] = field;
  }
  for (const key of ["acl", "roles"] as const) {
    const list = v[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) throw new NgrokProtocolError(op, `${v.id}: ${key} is not a list of strings`);
    out[key] = [...(list as string[])];
  }
  if (typeof v.active === "boolean") out.active = v.active;
  if (typeof v.token === "string") out.token = v.token;
  else if (v.token !== undefined && v.token !== null) throw new NgrokProtocolError(op, `${v.id}: token is neither a string nor null`);
  return out;
}
