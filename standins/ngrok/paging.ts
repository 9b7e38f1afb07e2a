// List paging shared by every kind: newest first, `before_id` (an id of the kind's prefix) and `limit` ≤ 100.
import { MAX_PAGE_LIMIT } from "../../src/ngrok/types.js";
import { ERR, EmulatorHttpError } from "./errors.js";

const LIST_QUERY = new Set(["limit", "before_id"]);

export interface PageQuery {
  limit: number;
  beforeId: string | null;
}

/** Reads `limit` and `before_id` from a list request's URL; `prefix` is the kind's id prefix, e.g. "cr_". */
export function parsePageQuery(url: URL, prefix: string): PageQuery {
  for (const key of url.searchParams.keys()) {
    if (!LIST_QUERY.has(key)) throw new EmulatorHttpError(400, ERR.unknownQuery, `The query part of the requested URI includes unknown parameters: ${key}. The supported parameters are: before_id, limit.`);
  }
  const rawLimit = url.searchParams.get("limit");
  let limit = MAX_PAGE_LIMIT;
  if (rawLimit !== null) {
    if (!/^[0-9]+$/.test(rawLimit)) throw new EmulatorHttpError(400, ERR.limitNotNumber, `The page size limit must be a number between 1 and ${MAX_PAGE_LIMIT} but ${JSON.stringify(rawLimit)} was provided.`);
    limit = Number(rawLimit);
    if (limit < 1 || limit > MAX_PAGE_LIMIT) throw new EmulatorHttpError(400, ERR.limitRange, `The page size limit must be between 1 and ${MAX_PAGE_LIMIT} but ${rawLimit} was provided.`);
  }
  const beforeId = url.searchParams.get("before_id");
  if (beforeId !== null && !new RegExp(`^${prefix}[0-9A-Za-z]+$`).test(beforeId)) {
    throw new EmulatorHttpError(400, ERR.idPrefix, `The ID ${JSON.stringify(beforeId)} is invalid. Expected an ID with a prefix of ${prefix}.`);
  }
  return { limit, beforeId };
}

/** One page of `sorted` (newest first) as ngrok lists it: `{ [property]: items, uri, next_page_uri }`. */
export function listPage<T extends { id: string }, W>(
  sorted: readonly T[],
  query: PageQuery,
  listUri: string,
  property: string,
  wire: (item: T) => W,
): Record<string, unknown> & { uri: string; next_page_uri: string | null } {
  const { beforeId, limit } = query;
  const eligible = beforeId === null ? sorted : sorted.filter((s) => s.id < beforeId);
  const page = eligible.slice(0, limit);
  const last = page[page.length - 1];
  return {
    [property]: page.map(wire),
    uri: listUri,
    next_page_uri: eligible.length > limit && last !== undefined ? `${listUri}?before_id=${last.id}&limit=${limit}` : null,
  };
}

/** Newest first: ids are KSUIDs, so descending id is descending creation order. */
export function newestFirst<T extends { id: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
