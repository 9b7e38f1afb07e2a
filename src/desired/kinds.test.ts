// Specs of service users, API keys and SSH credentials beside credentials: validation, owners, keys, policy, schema.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { formatSpecError } from "./errors.js";
import { loadSpecs, type LoadOptions, type LoadResult } from "./load.js";
import { loadPolicy } from "./repo-policy-file.js";

const OWNER = "test-owner";

/** A real OpenSSH ed25519 public key line, and its private key in PEM. */
function ed25519(): { publicKey: string; privateKeyPem: string } {
  const pair = generateKeyPairSync("ed25519");
  const x = Buffer.from(pair.publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(x)]);
  return { publicKey: `ssh-ed25519 ${blob.toString("base64")} agent@example.com`, privateKeyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

const KEY = ed25519();

function load(files: Record<string, string>, options: Partial<LoadOptions> = {}): LoadResult {
  return loadSpecs(
    Object.entries(files).map(([path, content]) => ({ path, content })),
    { ownerId: OWNER, ...options },
  );
}

function messages(files: Record<string, string>, options: Partial<LoadOptions> = {}): string[] {
  const result = load(files, options);
  if (result.ok) throw new Error("expected errors");
  return result.errors.map(formatSpecError);
}

const ALL_FOUR = [
  "service_users:",
  "  - name: ci",
  "    roles: [developer]",
  "credentials:",
  "  - name: web",
  "    owner: ci",
  "    acl: [bind:web.example.com]",
  "api_keys:",
  "  - name: deploy",
  "    description: CI deploys",
  "    owner: ci",
  "    deliver:",
  "      - github_actions_secret: {repo: acme/site, name: NGROK_API_KEY}",
  "    rotate_after: 30d",
  "ssh_credentials:",
  "  - name: bastion",
  "    owner: ci",
  "    acl: [bind:ssh.example.com, bind:ssh.example.com]",
  `    public_key: ${KEY.publicKey}`,
].join("\n");

describe("the lists beside credentials:", () => {
  it("a file may hold all four kinds; each is normalised, with where it is defined", () => {
    const result = load({ "credentials/all.yaml": ALL_FOUR });
    if (!result.ok) throw new Error(result.errors.map(formatSpecError).join("\n"));
    expect(result.specs.map((s) => [s.name, s.owner])).toEqual([["web", { name: "ci" }]]);
    expect(result.kinds.service_users).toEqual([{ name: "ci", active: true, roles: ["developer"], prevent_destroy: false, source: { file: "credentials/all.yaml", line: 2, column: 11, field: "service_users[0]" } }]);
    expect(result.kinds.api_keys).toEqual([
      {
        name: "deploy",
        description: "CI deploys",
        metadata: null,
        owner: { name: "ci" },
        prevent_destroy: false,
        deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_API_KEY" } }],
        rotate_after_ms: 30 * 86_400_000,
        source: { file: "credentials/all.yaml", line: 9, column: 11, field: "api_keys[0]" },
      },
    ]);
    expect(result.kinds.ssh_credentials).toEqual([
      {
        name: "bastion",
        description: "",
        metadata: null,
        acl: ["bind:ssh.example.com"],
        public_key: KEY.publicKey,
        owner: { name: "ci" },
        prevent_destroy: false,
        source: { file: "credentials/all.yaml", line: 16, column: 11, field: "ssh_credentials[0]" },
      },
    ]);
  });

  it("the fast parse and the positional parse give the same specs", () => {
    const fast = load({ "credentials/all.yaml": ALL_FOUR });
    const slow = load({ "credentials/all.yaml": ALL_FOUR }, { fastParse: false });
    expect(fast).toEqual(slow);
  });

  it("a file with only another list is valid; a file with none is not", () => {
    expect(load({ "credentials/u.yaml": "service_users:\n  - name: ci\n    active: false\n" })).toMatchObject({ ok: true, specs: [], kinds: { service_users: [{ name: "ci", active: false }] } });
    expect(messages({ "credentials/u.yaml": "services:\n  - name: ci\n" })).toEqual([
      'credentials/u.yaml:1:1: services: unknown key "services" (a spec file has only `credentials`, `service_users`, `api_keys` and `ssh_credentials`)',
      "credentials/u.yaml:1:1: credentials: required: a list of credentials (or of service_users, api_keys, ssh_credentials)",
    ]);
  });

  it("unknown keys list the keys of that kind; ids to import carry that kind's prefix", () => {
    expect(messages({ "credentials/k.yaml": "api_keys:\n  - name: k\n    acl: []\n    import: cr_2abc\n" })).toEqual([
      'credentials/k.yaml:3:5: api_keys[0] (k).acl: unknown key "acl" (allowed: name, description, metadata, owner, owner_id, prevent_destroy, import, deliver, rotate_after, expires)',
      'credentials/k.yaml:4:13: api_keys[0] (k).import: "cr_2abc" is not an API key id (ak_…)',
    ]);
    expect(messages({ "credentials/u.yaml": "service_users:\n  - name: u\n    roles: [admin]\n    import: usr_1\n" })).toEqual([
      'credentials/u.yaml:3:13: service_users[0] (u).roles[0]: "admin" is not one of "developer", "developer-readonly", "team-manager"',
      'credentials/u.yaml:4:13: service_users[0] (u).import: "usr_1" is not a service user id (bot_…)',
    ]);
  });

  it("names are unique within a kind across files; one name may be used by several kinds", () => {
    expect(load({ "credentials/a.yaml": "service_users:\n  - name: ci\napi_keys:\n  - name: ci\n    owner: ci\ncredentials:\n  - name: ci\n" }).ok).toBe(true);
    expect(messages({ "credentials/a.yaml": "api_keys:\n  - name: k\n", "credentials/b.yaml": "api_keys:\n  - name: k\n" })).toEqual([
      'credentials/b.yaml:2:11: api_keys[0] (k).name: "k" is already defined at credentials/a.yaml:2:11; names are unique among api_keys across all files',
    ]);
  });
});

describe("owner: <service user name>", () => {
  it("must name a service user of the specs: otherwise an error where owner is written, on either parse", () => {
    const files = { "credentials/a.yaml": "service_users:\n  - name: ci\n", "credentials/b.yaml": "credentials:\n  - name: web\n    owner: cj\napi_keys:\n  - name: k\n    description: x\n    owner: nobody\n" };
    const expected = [
      'credentials/b.yaml:3:12: credentials[0] (web).owner: names no service user "cj" in the specs (service users defined: ci); add it under service_users: or use owner_id',
      'credentials/b.yaml:7:12: api_keys[0] (k).owner: names no service user "nobody" in the specs (service users defined: ci); add it under service_users: or use owner_id',
    ];
    expect(messages(files)).toEqual(expected);
    expect(messages(files, { fastParse: false })).toEqual(expected);
  });

  it("may name a service user on the account, when the caller knows them; 'unknown' leaves the check to it", () => {
    const files = { "credentials/b.yaml": "ssh_credentials:\n  - name: s\n    owner: legacy-bot\n    public_key: " + KEY.publicKey + "\n" };
    expect(messages(files, { accountServiceUsers: new Set(["other"]) })).toEqual([
      'credentials/b.yaml:3:12: ssh_credentials[0] (s).owner: names no service user "legacy-bot" in the specs or on the account (the specs define no service users); add it under service_users: or use owner_id',
    ]);
    expect(load(files, { accountServiceUsers: new Set(["legacy-bot"]) }).ok).toBe(true);
    expect(load(files, { accountServiceUsers: "unknown" }).ok).toBe(true);
  });

  it("is not combined with owner_id", () => {
    expect(messages({ "credentials/a.yaml": "service_users:\n  - name: ci\napi_keys:\n  - name: k\n    owner: ci\n    owner_id: bot_123\n" })).toEqual([
      "credentials/a.yaml:5:12: api_keys[0] (k).owner: owner and owner_id cannot both be set: name the service user (owner) or give an id (owner_id)",
    ]);
  });
});

describe("an SSH credential's public_key", () => {
  const spec = (key: string) => ({ "credentials/s.yaml": `ssh_credentials:\n  - name: s\n    public_key: ${JSON.stringify(key)}\n` });

  it("must be an SSH public key whose data names its own type", () => {
    const [type, blob] = KEY.publicKey.split(" ");
    expect(messages(spec("hello world"))).toEqual([
      'credentials/s.yaml:3:17: ssh_credentials[0] (s).public_key: is not an SSH public key: expected "<type> <base64> [comment]" with type one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com',
    ]);
    expect(messages(spec(`ssh-rsa ${blob}`))).toEqual(["credentials/s.yaml:3:17: ssh_credentials[0] (s).public_key: is not an SSH public key: its key data is of another type than ssh-rsa"]);
    expect(messages(spec(`${type} ${(blob ?? "").slice(0, 12)}`))).toEqual(["credentials/s.yaml:3:17: ssh_credentials[0] (s).public_key: is not an SSH public key: its key data is truncated"]);
    expect(messages({ "credentials/s.yaml": "ssh_credentials:\n  - name: s\n" })).toEqual(["credentials/s.yaml:2:5: ssh_credentials[0] (s).public_key: required"]);
  });

  it("a private key is refused, and no part of it is repeated anywhere in the errors", () => {
    const errors = load(spec(KEY.privateKeyPem));
    if (errors.ok) throw new Error("expected errors");
    expect(errors.errors.map(formatSpecError)).toEqual([
      "credentials/s.yaml:3:17: ssh_credentials[0] (s).public_key: is a private key: it was not read further and is not repeated here. Put the public half (the .pub file) in public_key, keep the private key with the agent, and treat this one as exposed if it was ever committed",
    ]);
    expect(errors.errors[0]?.code).toBe("PRIVATE_KEY");
    const body = KEY.privateKeyPem.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
    const text = JSON.stringify(errors);
    for (const line of body) for (let i = 0; i + 8 <= line.length; i += 8) expect(text).not.toContain(line.slice(i, i + 8));
  });
});

describe("the policy judges every kind by the rules whose fields it has", () => {
  const policy = (content: string) => {
    const loaded = loadPolicy({ path: "ngrok-gitops.policy.yaml", content });
    if (!loaded.ok) throw new Error("bad policy");
    return { policy: loaded.policy, now: Date.parse("2027-01-01T00:00:00Z") };
  };

  it("require, acl.allow and max_lifetime on API keys and SSH credentials; acl rules never on API keys", () => {
    const files = {
      "credentials/a.yaml": [
        "api_keys:",
        "  - name: k",
        "    expires: 2028-01-01",
        "ssh_credentials:",
        "  - name: s",
        "    description: bastion",
        "    acl: [bind:ssh.other.com]",
        "    expires: 2027-02-01",
        `    public_key: ${KEY.publicKey}`,
      ].join("\n"),
    };
    expect(messages(files, { policy: policy("require: [description, acl]\nacl:\n  allow: ['*.example.com']\nmax_lifetime: 90d\n") })).toEqual([
      'credentials/a.yaml:2:5: api_keys[0]: "k" breaks policy require (ngrok-gitops.policy.yaml:1): sets no description',
      'credentials/a.yaml:3:14: api_keys[0].expires: "k" breaks policy max_lifetime (ngrok-gitops.policy.yaml:4): 2028-01-01 is more than 90d away; set 2027-04-01 or earlier',
      'credentials/a.yaml:7:11: ssh_credentials[0].acl[0]: "s" breaks policy acl.allow (ngrok-gitops.policy.yaml:3): "bind:ssh.other.com" falls under no allowed pattern (*.example.com)',
    ]);
  });

  it("an owner: satisfies require: [owner_id]", () => {
    const files = { "credentials/a.yaml": "service_users:\n  - name: ci\ncredentials:\n  - name: web\n    owner: ci\napi_keys:\n  - name: k\n    owner: ci\n  - name: j\n" };
    expect(messages(files, { policy: policy("require: [owner_id]\n") })).toEqual(['credentials/a.yaml:9:5: api_keys[1]: "j" breaks policy require (ngrok-gitops.policy.yaml:1): sets no owner_id']);
  });
});

describe("schema/credentials.schema.json", () => {
  const schema = JSON.parse(readFileSync(new URL("../../schema/credentials.schema.json", import.meta.url), "utf8")) as object;
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

  it("accepts a file of all four kinds and refuses what the validator refuses for its shape", () => {
    expect(validate({ service_users: [{ name: "ci", roles: ["developer"] }], api_keys: [{ name: "k", owner: "ci" }], ssh_credentials: [{ name: "s", public_key: KEY.publicKey }] })).toBe(true);
    expect(validate({})).toBe(false);
    expect(validate({ ssh_credentials: [{ name: "s" }] })).toBe(false);
    expect(validate({ api_keys: [{ name: "k", acl: [] }] })).toBe(false);
    expect(validate({ service_users: [{ name: "u", import: "cr_1" }] })).toBe(false);
  });
});
