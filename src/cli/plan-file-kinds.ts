// The other kinds in a saved plan: which lists the plan read and a fingerprint of them, so apply refuses a plan whose service users, API keys or SSH credentials changed since.
import { createHash } from "node:crypto";
import type { OtherKindList } from "../desired/kind-types.js";
import { KINDS, type KindRecord } from "../kinds/records.js";
import type { LiveResource, ResourcesApi } from "../ngrok/resources.js";

export type KindListing = Partial<Record<OtherKindList, readonly LiveResource[]>>;

/** Every listed resource's fields a plan depends on (an API key's token is never listed), by list, order-independent. */
export function fingerprintKinds(listing: KindListing): string {
  const lists = (Object.keys(listing) as OtherKindList[]).sort();
  const rows = lists.map((list) => [
    list,
    (listing[list] ?? [])
      .map((r) => [r.id, r.created_at, r.name ?? "", r.description ?? "", r.metadata ?? "", r.active ?? null, [...(r.roles ?? [])].sort(), [...(r.acl ?? [])].sort(), r.owner_id ?? "", r.public_key ?? ""])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  ]);
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
}

/** The resources API with each kind's complete listing kept, so the plan's own pages are what gets fingerprinted. */
export function recordKinds(api: ResourcesApi): { api: ResourcesApi; listed(): KindListing } {
  const pages = new Map<OtherKindList, LiveResource[]>();
  const done: KindListing = {};
  return {
    api: {
      listPage: async (kind, cursor) => {
        const list = kind.list as OtherKindList;
        if (cursor === null) pages.set(list, []);
        const page = await api.listPage(kind, cursor);
        pages.get(list)?.push(...page.items);
        if (page.next === null || page.next === cursor) done[list] = pages.get(list) ?? [];
        return page;
      },
      create: (kind, body) => api.create(kind, body),
      update: (kind, id, body) => api.update(kind, id, body),
      delete: (kind, id) => api.delete(kind, id),
    },
    listed: () => done,
  };
}

/** The same lists again, for apply's check of a saved plan. */
export async function listAgain(api: { list(kind: KindRecord): Promise<LiveResource[]> }, lists: readonly OtherKindList[]): Promise<KindListing> {
  const listing: KindListing = {};
  for (const list of lists) {
    const kind = KINDS.find((k) => k.list === list);
    if (kind) listing[list] = await api.list(kind);
  }
  return listing;
}
