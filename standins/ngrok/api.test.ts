// The emulator against the reference: shapes, auth, versioning, validation, PATCH semantics, paging.
import { beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./app.js";
import { createEmulator } from "./app.js";
import { ORIGIN, call, freshKey, rec } from "./test-helpers.js";

let em: Emulator;
let key: string;
beforeEach(() => {
  // ngrok's documented limit, explicitly: each test is a fresh account making far fewer than 120 calls.
  em = createEmulator({ rateLimit: { limit: 120, windowMs: 60_000 } });
  key = freshKey();
});

const ID = /^cr_[0-9A-Za-z]{27}$/;
const TOKEN = /^[0-9A-Za-z]{27}_[0-9A-Za-z]{25}$/;
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function expectErrorBody(json: unknown, code: string, status: number): void {
  expect(json).toEqual({ error_code: code, status_code: status, msg: expect.any(String), details: { operation_id: expect.stringMatching(/^op_[0-9A-Za-z]{27}$/) } });
}

async function create(body: unknown = {}): Promise<Record<string, unknown>> {
  const res = await call(em, "POST", "/credentials", { key, body });
  expect(res.status).toBe(201);
  return rec(res.json);
}

describe("reference examples", () => {
  it("create answers 201 with the reference's shape and the one-time token", async () => {
    const res = await call(em, "POST", "/credentials", { key, body: { description: "development cred for alan@example.com" } });
    expect(res.status).toBe(201);
    const body = rec(res.json);
    expect(Object.keys(body)).toEqual(["id", "uri", "created_at", "description", "token", "acl", "owner_id"]);
    expect(body.id).toMatch(ID);
    expect(body.uri).toBe(`${ORIGIN}/credentials/${String(body.id)}`);
    expect(body.created_at).toMatch(CREATED);
    expect(body.description).toBe("development cred for alan@example.com");
    expect(body.token).toMatch(TOKEN);
    // As in the reference example, the token starts with the credential's KSUID.
    expect(String(body.token).split("_")[0]).toBe(String(body.id).slice(3));
    expect(body.acl).toEqual([]);
    expect(body.owner_id).toMatch(/^usr_[0-9A-Za-z]{27}$/);
    expect(body.owner_id).toBe(em.account(key).ownerId);
    expect(res.headers.get("Ngrok-Operation-Id")).toMatch(/^op_/);
  });

  it("update with the reference's body answers like the reference's get example, token null", async () => {
    const created = await create({ description: "x" });
    const id = String(created.id);
    const patch = { description: "device alpha-2", metadata: '{"device_id": "d5111ba7-0cc5-4ba3-8398-e6c79e4e89c2"}' };
    const updated = await call(em, "PATCH", `/credentials/${id}`, { key, body: patch });
    expect(updated.status).toBe(200);
    const expected = { id, uri: `${ORIGIN}/credentials/${id}`, created_at: created.created_at, ...patch, token: null, acl: [], owner_id: created.owner_id };
    expect(updated.json).toEqual(expected);
    expect(Object.keys(rec(updated.json))).toEqual(["id", "uri", "created_at", "description", "metadata", "token", "acl", "owner_id"]);
    const got = await call(em, "GET", `/credentials/${id}`, { key });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(expected);
  });

  it("list answers {credentials, uri, next_page_uri:null}, newest first, tokens null, empty metadata left out", async () => {
    const a = await create({ description: "first" });
    const b = await create({ description: "for device #132", acl: ["bind:1.tcp.ngrok.io:20002", "bind:132.devices.company.com"] });
    const res = await call(em, "GET", "/credentials", { key });
    expect(res.status).toBe(200);
    const body = rec(res.json);
    expect(Object.keys(body)).toEqual(["credentials", "uri", "next_page_uri"]);
    expect(body.uri).toBe(`${ORIGIN}/credentials`);
    expect(body.next_page_uri).toBeNull();
    const items = body.credentials as Record<string, unknown>[];
    expect(items.map((c) => c.id)).toEqual([b.id, a.id]);
    for (const item of items) {
      expect(item.token).toBeNull();
      expect(item).not.toHaveProperty("metadata");
    }
    expect(items[0]?.acl).toEqual(["bind:1.tcp.ngrok.io:20002", "bind:132.devices.company.com"]);
  });

  it("a credential without description leaves the key out; options.baseUrl sets uri", async () => {
    em = createEmulator({ baseUrl: "https://api.ngrok.com/" });
    const body = await create();
    expect(body).not.toHaveProperty("description");
    expect(body.uri).toBe(`https://api.ngrok.com/credentials/${String(body.id)}`);
  });

  it("ids strictly increase, even when the clock stands still", async () => {
    em = createEmulator({ now: () => Date.UTC(2023, 6, 31, 23, 17, 18) });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(String((await create()).id));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
    expect((await create()).created_at).toBe("2023-07-31T23:17:18Z");
  });

  it("DELETE answers 204 with no body, and the credential is gone", async () => {
    const id = String((await create()).id);
    const res = await call(em, "DELETE", `/credentials/${id}`, { key });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect(res.headers.get("Ngrok-Operation-Id")).toMatch(/^op_/);
    expect((await call(em, "GET", `/credentials/${id}`, { key })).status).toBe(404);
  });
});

describe("auth and version", () => {
  it("no Authorization → 401 ERR_NGROK_200 with an operation id", async () => {
    const res = await call(em, "GET", "/credentials", { key: null });
    expect(res.status).toBe(401);
    expectErrorBody(res.json, "ERR_NGROK_200", 401);
    expect(res.headers.get("Ngrok-Operation-Id")).toBe(rec(rec(res.json).details).operation_id);
  });

  it("a non-Bearer Authorization → 401 ERR_NGROK_201", async () => {
    const res = await call(em, "GET", "/credentials", { key: null, headers: { Authorization: "Token abc" } });
    expect(res.status).toBe(401);
    expectErrorBody(res.json, "ERR_NGROK_201", 401);
  });

  it("with an allowlist, other keys → 401 ERR_NGROK_203; listed keys work", async () => {
    em = createEmulator({ apiKeys: ["good"] });
    const bad = await call(em, "GET", "/credentials", { key: "bad" });
    expect(bad.status).toBe(401);
    expectErrorBody(bad.json, "ERR_NGROK_203", 401);
    expect((await call(em, "GET", "/credentials", { key: "good" })).status).toBe(200);
    expect((await call(em, "GET", "/__emulator/state", { key: "bad" })).status).toBe(401);
  });

  it("each bearer key is an isolated account", async () => {
    const id = String((await create()).id);
    const other = freshKey();
    expect((await call(em, "GET", `/credentials/${id}`, { key: other })).status).toBe(404);
    expect(rec((await call(em, "GET", "/credentials", { key: other })).json).credentials).toEqual([]);
    expect(em.account(other).ownerId).not.toBe(em.account(key).ownerId);
  });

  it("missing Ngrok-Version → 400 ERR_NGROK_218; a version other than 2 → 400 ERR_NGROK_217", async () => {
    const missing = await call(em, "GET", "/credentials", { key, version: null });
    expect(missing.status).toBe(400);
    expectErrorBody(missing.json, "ERR_NGROK_218", 400);
    const wrong = await call(em, "GET", "/credentials", { key, version: "3" });
    expect(wrong.status).toBe(400);
    expectErrorBody(wrong.json, "ERR_NGROK_217", 400);
  });
});

describe("not found and method", () => {
  it("unknown ids → 404 for GET, PATCH and DELETE; unknown paths → 404; wrong method → 405", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await call(em, method, "/credentials/cr_2TMGGL7UOvE5IkjdLwjKrOlUJm3", { key, ...(method === "PATCH" ? { body: {} } : {}) });
      expect(res.status).toBe(404);
      expectErrorBody(res.json, "ERR_NGROK_404", 404);
    }
    expect((await call(em, "GET", "/nope", { key })).status).toBe(404);
    const put = await call(em, "PUT", "/credentials", { key, body: {} });
    expect(put.status).toBe(405);
    expectErrorBody(put.json, "ERR_NGROK_405", 405);
  });
});

describe("validation", () => {
  const bad = async (method: string, path: string, opts: Parameters<typeof call>[3], code: string) => {
    const res = await call(em, method, path, { key, ...opts });
    expect(res.status, JSON.stringify(opts)).toBe(400);
    expectErrorBody(res.json, code, 400);
  };

  it("malformed JSON, non-object bodies, missing or wrong Content-Type → 400", async () => {
    await bad("POST", "/credentials", { rawBody: "{nope", headers: { "Content-Type": "application/json" } }, "ERR_NGROK_213");
    await bad("POST", "/credentials", { body: ["a"] }, "ERR_NGROK_213");
    await bad("POST", "/credentials", { body: "str" }, "ERR_NGROK_213");
    await bad("POST", "/credentials", { rawBody: "{}" }, "ERR_NGROK_216");
    await bad("POST", "/credentials", { rawBody: "{}", headers: { "Content-Type": "text/plain" } }, "ERR_NGROK_210");
  });

  it("wrong types → 400 ERR_NGROK_215; unknown fields → 400 ERR_NGROK_214", async () => {
    await bad("POST", "/credentials", { body: { description: 1 } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { metadata: {} } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { acl: "bind:a.com" } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { acl: [1] } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { owner_id: 5 } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { name: "x" } }, "ERR_NGROK_214");
  });

  it("owner_id accepts usr_ and bot_ ids on create only", async () => {
    expect((await create({ owner_id: "bot_2abc" })).owner_id).toBe("bot_2abc");
    expect((await create({ owner_id: "usr_2TMGG635o87KDP13PBjUDx2rzJY" })).owner_id).toBe("usr_2TMGG635o87KDP13PBjUDx2rzJY");
    await bad("POST", "/credentials", { body: { owner_id: "ak_123" } }, "ERR_NGROK_243");
    await bad("POST", "/credentials", { body: { owner_id: "alan@example.com" } }, "ERR_NGROK_243");
    const id = String((await create()).id);
    await bad("PATCH", `/credentials/${id}`, { body: { owner_id: "bot_2abc" } }, "ERR_NGROK_214");
  });

  it("description is limited to 255 UTF-8 bytes, not characters", async () => {
    expect((await create({ description: "a".repeat(255) })).description).toHaveLength(255);
    expect((await create({ description: "é".repeat(127) })).description).toHaveLength(127); // 254 bytes
    expect((await create({ description: "€".repeat(85) })).description).toHaveLength(85); // 255 bytes
    await bad("POST", "/credentials", { body: { description: "a".repeat(256) } }, "ERR_NGROK_215");
    await bad("POST", "/credentials", { body: { description: "é".repeat(128) } }, "ERR_NGROK_215"); // 128 chars, 256 bytes
    await bad("POST", "/credentials", { body: { description: "€".repeat(85) + "a" } }, "ERR_NGROK_215");
    const id = String((await create()).id);
    await bad("PATCH", `/credentials/${id}`, { body: { description: "é".repeat(128) } }, "ERR_NGROK_215");
  });

  it("metadata is limited to 4096 UTF-8 bytes (ERR_NGROK_100)", async () => {
    expect((await create({ metadata: "€".repeat(1365) + "a" })).metadata).toHaveLength(1366); // 4096 bytes
    await bad("POST", "/credentials", { body: { metadata: "€".repeat(1365) + "aa" } }, "ERR_NGROK_100"); // 1367 chars, 4097 bytes
    await bad("POST", "/credentials", { body: { metadata: "a".repeat(4097) } }, "ERR_NGROK_100");
    const id = String((await create()).id);
    await bad("PATCH", `/credentials/${id}`, { body: { metadata: "é".repeat(2049) } }, "ERR_NGROK_100");
  });

  const goodRules = ["*", "bind:example.ngrok.io", "bind:*.example.com", "bind:1.tcp.ngrok.io:20002", "bind:env=ci", "bind:*=example", "bind:team=*", "bind:*=*", "bind:x-*=pre*", "bind:localhost", "bind:a.b:65535"];
  const badRules = ["connect:x", "bind:", "bind: a.com", " bind:a.com", "bind:a.com ", "bind:a*b.com", "bind:*", "bind:*.", "bind:a..com", "bind:-a.com", "bind:a.com.", "bind:a.com:0", "bind:a.com:65536", "bind:a.com:x", "bind:*.a.com:80", "bind:=x", "bind:k=", "bind:a b=c", "BIND:a.com", "**", "", "bind:a.com/path"];

  it.each(goodRules)("accepts ACL rule %j", async (rule) => {
    expect((await create({ acl: [rule] })).acl).toEqual([rule]);
  });

  it.each(badRules)("rejects ACL rule %j with ERR_NGROK_600", async (rule) => {
    await bad("POST", "/credentials", { body: { acl: ["bind:ok.com", rule] } }, "ERR_NGROK_600");
  });
});

describe("PATCH semantics", () => {
  it("omitted or null fields stay; \"\" and [] clear; owner_id never changes", async () => {
    const created = await create({ description: "d", metadata: "m", acl: ["bind:a.com"], owner_id: "bot_1" });
    const id = String(created.id);
    const patch = async (body: unknown) => rec((await call(em, "PATCH", `/credentials/${id}`, { key, body })).json);
    expect(await patch({ metadata: "m" })).toMatchObject({ description: "d", metadata: "m", acl: ["bind:a.com"], owner_id: "bot_1", token: null });
    expect(await patch({ description: null, metadata: "m" })).toMatchObject({ description: "d" });
    const cleared = await patch({ description: "", metadata: "" });
    expect(cleared).not.toHaveProperty("description");
    expect(cleared).not.toHaveProperty("metadata");
    expect(cleared.acl).toEqual(["bind:a.com"]);
    expect((await patch({ acl: [] })).acl).toEqual([]);
    expect((await patch({ acl: ["*"] })).acl).toEqual(["*"]);
    const after = rec((await call(em, "GET", `/credentials/${id}`, { key })).json);
    expect(after).toMatchObject({ acl: ["*"], owner_id: "bot_1", created_at: created.created_at, token: null });
  });

  it("an update with no values (empty, all null, or only the id) → 400 ERR_NGROK_606, nothing changes", async () => {
    const created = await create({ description: "d" });
    const id = String(created.id);
    for (const body of [{}, { description: null, metadata: null, acl: null }, { id }]) {
      const answer = await call(em, "PATCH", `/credentials/${id}`, { key, body });
      expect(answer.status).toBe(400);
      expect(rec(answer.json)).toMatchObject({ error_code: "ERR_NGROK_606", status_code: 400 });
      expect(String(rec(answer.json).msg)).toMatch(/no values were provided/);
    }
    expect(rec((await call(em, "GET", `/credentials/${id}`, { key })).json).description).toBe("d");
  });

  it("an id in the PATCH body is accepted when it is the path's, refused (ERR_NGROK_227) when not", async () => {
    const a = String((await create({ description: "a" })).id);
    const b = String((await create({ description: "b" })).id);
    const same = await call(em, "PATCH", `/credentials/${a}`, { key, body: { id: a, description: "a2" } });
    expect(same.status).toBe(200);
    expect(rec(same.json)).toMatchObject({ id: a, description: "a2" });
    const other = await call(em, "PATCH", `/credentials/${a}`, { key, body: { id: b, description: "x" } });
    expect(other.status).toBe(400);
    expect(rec(other.json)).toMatchObject({ error_code: "ERR_NGROK_227" });
    expect(String(rec(other.json).msg)).toContain(b);
    const wrongType = await call(em, "PATCH", `/credentials/${a}`, { key, body: { id: 7, description: "x" } });
    expect(rec(wrongType.json)).toMatchObject({ error_code: "ERR_NGROK_215" });
    const list = rec((await call(em, "GET", "/credentials", { key })).json).credentials as Record<string, unknown>[];
    expect(list.map((c) => c.description).sort()).toEqual(["a2", "b"]);
  });

  it("the token is only in the create response", async () => {
    const created = await create();
    const id = String(created.id);
    expect(rec((await call(em, "GET", `/credentials/${id}`, { key })).json).token).toBeNull();
    expect(rec((await call(em, "PATCH", `/credentials/${id}`, { key, body: { description: "x" } })).json).token).toBeNull();
    const list = rec((await call(em, "GET", "/credentials", { key })).json).credentials as Record<string, unknown>[];
    expect(list.every((c) => c.token === null)).toBe(true);
    expect(em.account(key).tokens()[id]).toBe(created.token);
  });
});

describe("paging", () => {
  async function seed(n: number): Promise<string[]> {
    const res = await call(em, "POST", "/__emulator/seed", { key, body: { credentials: Array.from({ length: n }, (_, i) => ({ description: `c${i}` })) } });
    expect(res.status).toBe(201);
    return (rec(res.json).credentials as Record<string, unknown>[]).map((c) => String(c.id));
  }

  it("250 credentials, limit 100: pages of 100, 100, 50 newest first, next_page_uri absolute", async () => {
    const ids = await seed(250);
    const newestFirst = [...ids].reverse();
    const seen: string[] = [];
    let path: string | null = "/credentials?limit=100";
    const sizes: number[] = [];
    while (path !== null) {
      const res = await call(em, "GET", path, { key });
      expect(res.status).toBe(200);
      const body = rec(res.json);
      const page = (body.credentials as Record<string, unknown>[]).map((c) => String(c.id));
      sizes.push(page.length);
      seen.push(...page);
      const next = body.next_page_uri as string | null;
      if (next !== null) {
        expect(next).toBe(`${ORIGIN}/credentials?before_id=${page[page.length - 1]}&limit=100`);
        path = next.slice(ORIGIN.length);
      } else path = null;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(newestFirst);
  });

  it("default limit is 100; before_id returns only older ids; an exact last page has next_page_uri null", async () => {
    const ids = await seed(200);
    const first = rec((await call(em, "GET", "/credentials", { key })).json);
    expect((first.credentials as unknown[]).length).toBe(100);
    const pivot = ids[120] ?? "";
    const older = rec((await call(em, "GET", `/credentials?before_id=${pivot}&limit=100`, { key })).json);
    const olderIds = (older.credentials as Record<string, unknown>[]).map((c) => String(c.id));
    expect(olderIds).toEqual(ids.slice(20, 120).reverse());
    expect(older.next_page_uri).toBe(`${ORIGIN}/credentials?before_id=${ids[20]}&limit=100`);
    const last = rec((await call(em, "GET", `/credentials?before_id=${ids[100]}&limit=100`, { key })).json);
    expect((last.credentials as unknown[]).length).toBe(100);
    expect(last.next_page_uri).toBeNull();
    const small = rec((await call(em, "GET", "/credentials?limit=1", { key })).json);
    expect((small.credentials as unknown[]).length).toBe(1);
  });

  it.each([
    ["0", "ERR_NGROK_233"],
    ["101", "ERR_NGROK_233"],
    ["abc", "ERR_NGROK_244"],
    ["", "ERR_NGROK_244"],
    ["-1", "ERR_NGROK_244"],
    ["1.5", "ERR_NGROK_244"],
  ])("limit=%j → 400 %s", async (limit, code) => {
    const res = await call(em, "GET", `/credentials?limit=${limit}`, { key });
    expect(res.status).toBe(400);
    expectErrorBody(res.json, code, 400);
  });

  it("a malformed before_id or an unknown query parameter → 400", async () => {
    const badId = await call(em, "GET", "/credentials?before_id=xyz", { key });
    expect(badId.status).toBe(400);
    expectErrorBody(badId.json, "ERR_NGROK_227", 400);
    const unknown = await call(em, "GET", "/credentials?page=2", { key });
    expect(unknown.status).toBe(400);
    expectErrorBody(unknown.json, "ERR_NGROK_231", 400);
  });
});

describe("control endpoints", () => {
  it("seed returns tokens, is not counted as API calls; state, tokens and reset work per account", async () => {
    const res = await call(em, "POST", "/__emulator/seed", { key, body: { credentials: [{ description: "old", created_at: "2020-01-02T03:04:05.678Z", acl: ["bind:a.com"], owner_id: "bot_x" }] } });
    expect(res.status).toBe(201);
    const seeded = (rec(res.json).credentials as Record<string, unknown>[])[0] ?? {};
    expect(seeded).toMatchObject({ description: "old", created_at: "2020-01-02T03:04:05Z", acl: ["bind:a.com"], owner_id: "bot_x" });
    expect(seeded.token).toMatch(TOKEN);
    expect(rec((await call(em, "GET", "/__emulator/tokens", { key })).json).tokens).toEqual({ [String(seeded.id)]: seeded.token });
    const state = rec((await call(em, "GET", "/__emulator/state", { key })).json);
    expect((state.credentials as Record<string, unknown>[]).map((c) => c.id)).toEqual([seeded.id]);
    expect(rec((await call(em, "GET", "/__emulator/calls", { key })).json).calls).toEqual([]);
    expect((await call(em, "POST", "/__emulator/seed", { key, body: { credentials: [{ acl: ["nope"] }] } })).status).toBe(400);
    expect((await call(em, "POST", "/__emulator/seed", { key, body: { credentials: [{ created_at: "yesterday" }] } })).status).toBe(400);
    expect((await call(em, "POST", "/__emulator/reset", { key })).status).toBe(204);
    expect(rec((await call(em, "GET", "/__emulator/state", { key })).json).credentials).toEqual([]);
  });

  it("control endpoints need the account's bearer key and do not need Ngrok-Version", async () => {
    expect((await call(em, "GET", "/__emulator/state", { key: null })).status).toBe(401);
    expect((await call(em, "GET", "/__emulator/state", { key, version: null })).status).toBe(200);
  });

  it("calls lists the API calls with method, path, status and fault", async () => {
    await create();
    await call(em, "GET", "/credentials?limit=5", { key });
    await call(em, "GET", "/credentials/cr_missing", { key });
    const calls = rec((await call(em, "GET", "/__emulator/calls", { key })).json).calls;
    expect(calls).toEqual([
      expect.objectContaining({ method: "POST", path: "/credentials", status: 201, fault: null }),
      expect.objectContaining({ method: "GET", path: "/credentials", query: "?limit=5", status: 200, fault: null }),
      expect.objectContaining({ method: "GET", path: "/credentials/cr_missing", status: 404, fault: null }),
    ]);
  });
});
