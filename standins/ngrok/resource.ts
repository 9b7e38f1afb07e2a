// One REST kind of the emulator (create, list with shared paging, get, update, delete, 405): the same routes for every kind.
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { Account } from "./account.js";
import { ERR, EmulatorHttpError } from "./errors.js";
import { listPage, newestFirst, parsePageQuery } from "./paging.js";

export type EmulatorEnv = { Variables: { opId: string; account: Account; apiKey: string } };
export type Ctx = Context<EmulatorEnv>;

export interface ResourceKind<S extends { id: string }> {
  /** "/api_keys" */
  path: string;
  /** The id prefix, "ak_": `before_id` must carry it. */
  prefix: string;
  /** The list's array property, "keys". */
  listProperty: string;
  items(account: Account): Map<string, S>;
  /** Validates the body and stores a new item; `secret` is the one-time token, when the kind has one. */
  create(account: Account, body: unknown): { stored: S; secret: string | null };
  /** Validates the body (its `id`, if any, must be `stored.id`) and changes `stored` in place. */
  update(account: Account, stored: S, body: unknown): void;
  wire(stored: S, uri: string, secret: string | null): object;
  /** Throws an EmulatorHttpError to refuse the delete. */
  beforeDelete?(account: Account, stored: S): void;
  /** Removes the item (default: from `items`). */
  remove?(account: Account, stored: S): void;
}

export interface MountDeps {
  api: MiddlewareHandler<EmulatorEnv>;
  baseOf(c: Ctx): string;
  readJson(c: Ctx): Promise<unknown>;
}

const notFound = (): EmulatorHttpError => new EmulatorHttpError(404, ERR.notFound, "Resource not found");

export function mountResource<S extends { id: string }>(app: Hono<EmulatorEnv>, kind: ResourceKind<S>, deps: MountDeps): void {
  const { path } = kind;
  const uri = (c: Ctx, id: string): string => `${deps.baseOf(c)}${path}/${id}`;
  const find = (c: Ctx): S => {
    const stored = kind.items(c.get("account")).get(c.req.param("id") ?? "");
    if (stored === undefined) throw notFound();
    return stored;
  };

  // hono's "/x/*" also matches "/x" itself.
  app.use(`${path}/*`, deps.api);

  app.post(path, async (c) => {
    const { stored, secret } = kind.create(c.get("account"), await deps.readJson(c));
    return c.json(kind.wire(stored, uri(c, stored.id), secret), 201);
  });

  app.get(path, (c) => {
    const query = parsePageQuery(new URL(c.req.url), kind.prefix);
    const sorted = newestFirst(kind.items(c.get("account")).values());
    return c.json(listPage(sorted, query, `${deps.baseOf(c)}${path}`, kind.listProperty, (s) => kind.wire(s, uri(c, s.id), null)), 200);
  });

  app.get(`${path}/:id`, (c) => {
    const stored = find(c);
    return c.json(kind.wire(stored, uri(c, stored.id), null), 200);
  });

  app.patch(`${path}/:id`, async (c) => {
    const stored = find(c);
    kind.update(c.get("account"), stored, await deps.readJson(c));
    return c.json(kind.wire(stored, uri(c, stored.id), null), 200);
  });

  app.delete(`${path}/:id`, (c) => {
    const account = c.get("account");
    const stored = find(c);
    kind.beforeDelete?.(account, stored);
    if (kind.remove !== undefined) kind.remove(account, stored);
    else kind.items(account).delete(stored.id);
    return c.body(null, 204);
  });

  const methodNotAllowed = (c: Ctx): Response => {
    throw new EmulatorHttpError(405, ERR.methodNotAllowed, `The method ${c.req.method} is not allowed on ${new URL(c.req.url).pathname}.`);
  };
  app.all(path, methodNotAllowed);
  app.all(`${path}/:id`, methodNotAllowed);
}
