// Lists the kinds the specs use (one page per 100 of each, nothing for the others) and diffs them: the kinds' plan.
import type { KindSpecs, OtherKindList } from "../desired/kind-types.js";
import type { CredentialSpec } from "../desired/types.js";
import type { LiveResource, ResourcesApi } from "../ngrok/resources.js";
import { diffKinds, kindsToList, type KindsDiffInput } from "../plan/kinds-diff.js";
import type { KindsPlan } from "../plan/kind-changes.js";
import type { OwnerTarget } from "../plan/service-users-diff.js";
import { diffServiceUsers } from "../plan/service-users-diff.js";
import { KINDS } from "./records.js";

export interface KindsListing {
  live: Partial<Record<OtherKindList, LiveResource[]>>;
  /** Pages read, per kind: the calls the listing made. */
  pages: Partial<Record<OtherKindList, number>>;
}

/** Every page of each kind to list, kind by kind (a driver with a budget calls listPage itself, cursor by cursor). */
export async function listKinds(api: ResourcesApi, lists: readonly OtherKindList[]): Promise<KindsListing> {
  const listing: KindsListing = { live: {}, pages: {} };
  for (const list of lists) {
    const kind = KINDS.find((k) => k.list === list);
    if (!kind) continue;
    const items: LiveResource[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: LiveResource[]; next: string | null } = await api.listPage(kind, cursor);
      pages++;
      items.push(...page.items);
      if (page.next === cursor) break;
      cursor = page.next;
    } while (cursor !== null);
    listing.live[list] = items;
    listing.pages[list] = pages;
  }
  return listing;
}

export interface PlanKindsInput extends Omit<KindsDiffInput, "live"> {
  api: ResourcesApi;
  credentials: readonly CredentialSpec[];
  /** Kinds we manage beyond what the specs use (the last applied specs, the vault): listed so their removal deletes. */
  managed?: ReadonlySet<OtherKindList>;
}

/** The kinds' plan, and the service users' ids apply starts from (owner: of what exists already). */
export async function planKinds(input: PlanKindsInput): Promise<{ plan: KindsPlan; listing: KindsListing; owners: Map<string, string> }> {
  const listing = await listKinds(input.api, kindsToList(input.kinds, input.credentials, input.managed));
  const plan = diffKinds({ ...input, live: listing.live });
  const owners = new Map<string, string>();
  const targets: Map<string, OwnerTarget> = diffServiceUsers(input.ownerId, input.kinds.service_users, listing.live.service_users ?? []).owners;
  for (const [name, target] of targets) if ("id" in target) owners.set(name, target.id);
  return { plan, listing, owners };
}

/** The kinds of the specs as a set, for `managed` of the next plan (what was applied). */
export function usedKinds(kinds: KindSpecs): Set<OtherKindList> {
  return new Set((["service_users", "api_keys", "ssh_credentials"] as const).filter((list) => kinds[list].length > 0));
}
