// /credentials (tunnel authtokens): the kind the emulator started with, on the shared resource routes.
import type { StoredCredential } from "./account.js";
import { toWireAt } from "./account.js";
import type { ResourceKind } from "./resource.js";
import { parseCreate, parseUpdate } from "./validate.js";

export function credentialsKind(): ResourceKind<StoredCredential> {
  return {
    path: "/credentials",
    prefix: "cr_",
    listProperty: "credentials",
    items: (account) => account.credentials,
    create(account, body) {
      const { stored, token } = account.create(parseCreate(body));
      return { stored, secret: token };
    },
    update(account, stored, body) {
      account.update(stored.id, parseUpdate(body, stored.id));
    },
    wire: (s, uri, secret) => toWireAt(s, uri, secret),
    remove(account, stored) {
      account.delete(stored.id);
    },
  };
}
