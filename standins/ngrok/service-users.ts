// /service_users and its older name /bot_users: one store of service users, named and active, owners of other kinds.
import type { StoredServiceUser } from "./account.js";
import { ERR, EmulatorHttpError } from "./errors.js";
import type { ResourceKind } from "./resource.js";
import { asObject, bad, checkBodyId, optionalBoolean, optionalString, optionalStrings, rejectUnknown } from "./validate.js";

/**
 * Both paths serve the same users. Ids are `bot_` on both (our pick: ngrok's newer example shows `service_`,
 * but owner_id accepts only usr_/bot_ and the official client knows only /bot_users); `roles` exists only on
 * /service_users, as ngrok documents it.
 */
export function serviceUsersKind(path: "/service_users" | "/bot_users"): ResourceKind<StoredServiceUser> {
  const withRoles = path === "/service_users";
  const fields = withRoles ? ["name", "active", "roles"] : ["name", "active"];
  const name = (body: Record<string, unknown>, required: boolean): string | undefined => {
    const value = optionalString(body, "name");
    if ((required || value !== undefined) && (value === undefined || value.trim() === "")) throw bad(ERR.serviceUserNameEmpty, "Service User name must not be empty.");
    return value;
  };
  return {
    path,
    prefix: "bot_",
    listProperty: withRoles ? "service_users" : "bot_users",
    items: (account) => account.serviceUsers,
    create(account, raw) {
      const body = asObject(raw);
      rejectUnknown(body, fields);
      const { ksuid, created_at } = account.mint();
      const stored: StoredServiceUser = {
        id: `bot_${ksuid}`,
        created_at,
        name: name(body, true) ?? "",
        active: optionalBoolean(body, "active") ?? true,
        roles: optionalStrings(body, "roles") ?? [],
      };
      account.serviceUsers.set(stored.id, stored);
      return { stored, secret: null };
    },
    update(_account, stored, raw) {
      const body = asObject(raw);
      rejectUnknown(body, ["id", ...fields]);
      checkBodyId(body, stored.id);
      const next = { name: name(body, false), active: optionalBoolean(body, "active"), roles: optionalStrings(body, "roles") };
      if (next.name === undefined && next.active === undefined && next.roles === undefined) {
        throw bad(ERR.noValues, "The service user update failed because no values were provided. Specify at least one value.");
      }
      if (next.name !== undefined) stored.name = next.name;
      if (next.active !== undefined) stored.active = next.active;
      if (next.roles !== undefined) stored.roles = next.roles;
    },
    wire: (s, uri) => ({ id: s.id, uri, name: s.name, active: s.active, created_at: s.created_at, ...(withRoles && s.roles.length > 0 ? { roles: [...s.roles] } : {}) }),
    beforeDelete(account, stored) {
      const owned = account.ownedBy(stored.id);
      if (owned.length > 0) {
        throw new EmulatorHttpError(409, ERR.ownerHasResources, `The service user ${stored.id} still owns ${owned.length} credential(s) or key(s): ${owned.join(", ")}. Delete them first.`);
      }
    },
  };
}
