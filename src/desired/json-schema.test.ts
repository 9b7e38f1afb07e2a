// The published JSON Schema is current and agrees with the validator on every rule a JSON Schema can express.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { renderJsonSchema, renderPolicyJsonSchema } from "./json-schema.js";
import { loadSpecs } from "./load.js";
import { loadPolicy } from "./repo-policy-file.js";

const committed = readFileSync(new URL("../../schema/credentials.schema.json", import.meta.url), "utf8");
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateWithSchema = ajv.compile(JSON.parse(committed) as object);

describe("schema/credentials.schema.json", () => {
  it("is generated from the current source (run `npm run schema` when this fails)", () => {
    expect(committed).toBe(renderJsonSchema());
  });

  // Values chosen to hit each rule's edges; bytes, uniqueness and the marker budget are the validator's alone.
  const names = ["ci", "a.b_c-d", "9lives", "A", "-x", "", "a".repeat(63), "a".repeat(64), 7];
  const acls = ["*", "bind:x.com", "bind:*.x.com", "bind:env=*", "bind:*=v", "bind:h.io:20002", "bind:", "bind:X.com", "connect:x", "bind:x.com:70000", "bind:a*b"];
  const owners = ["usr_2TMG", "bot_abc", "alan@example.com", "usr_"];
  const imports = ["cr_2TMG", "2TMG"];
  const metadata = ["plain", { team: "x", n: [1, null, true] }, [1], 3];
  const durations = ["90d", "12h", "0d", "1y", "d"];
  const deliveries = [
    { github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } },
    { github_actions_secret: { repo: "acme/site", name: "X", environment: "prod" } },
    { github_actions_secret: { repo: "acme", name: "X" } },
    { github_actions_secret: { repo: "acme/site", name: "GITHUB_X" } },
    { github_actions_secret: { repo: "acme/site", name: "X", extra: 1 } },
    { somewhere_else: {} },
  ];
  const credential = fc.record(
    {
      name: fc.constantFrom(...names),
      description: fc.constantFrom("ok", "x".repeat(255), 5),
      metadata: fc.constantFrom(...metadata),
      acl: fc.array(fc.constantFrom(...acls), { maxLength: 3 }),
      owner_id: fc.constantFrom(...owners),
      prevent_destroy: fc.constantFrom(true, false, "yes"),
      import: fc.constantFrom(...imports),
      deliver: fc.array(fc.constantFrom(...deliveries), { maxLength: 2 }),
      rotate_after: fc.constantFrom(...durations),
      expires: fc.constantFrom("2027-01-31", "2027-01-31T18:30:00Z", "2027-01-31T18:30:00.5+02:00", "2027-01-31T18:30Z", "31/01/2027", 20270131),
      unknown_key: fc.constant(1),
    },
    { requiredKeys: [] },
  );

  // 3000 loads: seconds on a loaded 2-core runner.
  it("agrees with the validator on generated credentials", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(credential, (item) => {
        const doc = { credentials: [item] };
        const bySchema = validateWithSchema(doc);
        const byValidator = loadSpecs([{ path: "credentials/a.yaml", content: stringify(doc) }], { ownerId: "o" }).ok;
        expect(byValidator).toBe(bySchema);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("schema/policy.schema.json", () => {
  const text = readFileSync(new URL("../../schema/policy.schema.json", import.meta.url), "utf8");
  const validatePolicy = ajv.compile(JSON.parse(text) as object);

  it("is generated from the current source (run `npm run schema` when this fails)", () => {
    expect(text).toBe(renderPolicyJsonSchema());
  });

  const policy = fc.record(
    {
      require: fc.array(fc.constantFrom("description", "acl", "metadata.team", "metadata.a.b", "name", "metadata.", "expires"), { maxLength: 3 }),
      acl: fc.record(
        {
          allow: fc.array(fc.constantFrom("*.example.com", "bind:x.com", "1.tcp.ngrok.io:*", "h.io:20002", "env=*", "*=*", "*", "evil*.com", "X.com", "h.io:0"), { maxLength: 3 }),
          deny_unrestricted: fc.constantFrom(true, false, "yes"),
          other: fc.constant(1),
        },
        { requiredKeys: [] },
      ),
      max_rotate_after: fc.constantFrom("90d", "0d", "3 months", 90),
      max_lifetime: fc.constantFrom("26w", "1y"),
      unknown_key: fc.constant(1),
    },
    { requiredKeys: [] },
  );

  it("agrees with the loader on generated policies", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(policy, (doc) => {
        expect(loadPolicy({ path: "ngrok-gitops.policy.yaml", content: stringify(doc) }).ok).toBe(validatePolicy(doc));
      }),
      { numRuns: 1000 },
    );
  });
});
