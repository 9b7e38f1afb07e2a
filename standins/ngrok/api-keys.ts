// /api_keys: description, metadata and owner_id; the token is returned once, on create, and then authenticates as the account.
import type { Account, StoredApiKey } from "./account.js";
import type { ResourceKind } from "./resource.js";
import { tokenFor } from "./ids.js";
import { asObject, checkBodyId, bad, checkText, optionalOwner, optionalString, rejectUnknown } from "./validate.js";
import { ERR } from "./errors.js";

/** A minted key's account and id: the key authenticates while that account still holds the id. */
export interface MintedKey {
  account: Account;
  id: string;
}

/** `minted` maps each key's token to its account, so the emulator accepts it as a bearer key for that account. */
export function apiKeysKind(minted: Map<string, MintedKey>): ResourceKind<StoredApiKey> {
  return {
    path: "/api_keys",
    prefix: "ak_",
    listProperty: "keys",
    items: (account) => account.apiKeys,
    create(account, raw) {
      const body = asObject(raw);
      rejectUnknown(body, ["description", "metadata", "owner_id"]);
      const description = optionalString(body, "description");
      const metadata = optionalString(body, "metadata");
      checkText(description, metadata);
      const owner = optionalOwner(body, (id) => account.ownerExists(id));
      const { ksuid, created_at } = account.mint();
      const stored: StoredApiKey = { id: `ak_${ksuid}`, created_at, description: description ?? "", metadata: metadata ?? "", owner_id: owner ?? account.ownerId };
      const token = tokenFor(ksuid);
      account.apiKeys.set(stored.id, stored);
      minted.set(token, { account, id: stored.id });
      return { stored, secret: token };
    },
    update(_account, stored, raw) {
      const body = asObject(raw);
      rejectUnknown(body, ["id", "description", "metadata"]);
      checkBodyId(body, stored.id);
      const description = optionalString(body, "description");
      const metadata = optionalString(body, "metadata");
      checkText(description, metadata);
      if (description === undefined && metadata === undefined) throw bad(ERR.noValues, "The API key update failed because no values were provided. Specify at least one value.");
      if (description !== undefined) stored.description = description;
      if (metadata !== undefined) stored.metadata = metadata;
    },
    wire: (s, uri, secret) => ({
      id: s.id,
      uri,
      ...(s.description !== "" ? { description: s.description } : {}),
      ...(s.metadata !== "" ? { metadata: s.metadata } : {}),
      created_at: s.created_at,
      token: secret,
      owner_id: s.owner_id,
    }),
  };
}
