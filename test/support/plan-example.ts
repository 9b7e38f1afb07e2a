// The example plan the README shows (text and pull-request markdown): one fixture for render.test.ts and the README test.
import { encodeMetadata } from "../../src/ownership/marker.js";
import type { CredentialSpec } from "../../src/desired/types.js";
import { makePlan } from "../../src/plan/plan.js";
import type { Plan } from "../../src/plan/types.js";

export const EXAMPLE_OWNER = "acme-prod";
/** The title and marker of the README's pull-request comment sample. */
export const EXAMPLE_MARKDOWN_OPTIONS = { title: "ngrok-gitops plan for abc1234", marker: "<!-- ngrok-gitops:plan -->" } as const;

export const exampleSpec = (name: string, extra: Partial<CredentialSpec> = {}): CredentialSpec => ({
  name, description: "", metadata: null, acl: [], prevent_destroy: false, deliver: [], source: { file: "f", line: 1, column: 1, field: "" }, ...extra,
});

export const exampleLive = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id, uri: "", created_at: "2026-01-01T00:00:00Z", token: null, acl: [] as string[], owner_id: "usr_1", description: "", metadata: encodeMetadata(null, { owner: EXAMPLE_OWNER, name }), ...extra,
});

/** One of each kind of change (create, update, replace, delete) and one unmanaged credential that is only counted. */
export const examplePlan: Plan = makePlan({
  ownerId: EXAMPLE_OWNER,
  specs: [
    exampleSpec("ci-runners", { description: "CI runners", metadata: { team: "platform" }, acl: ["bind:*.ci.example.com", "bind:ci.example.com"] }),
    exampleSpec("load-test", { description: "nightly load test", acl: ["bind:1.tcp.ngrok.io:20002"] }),
    exampleSpec("devices", { owner_id: "bot_2" }),
  ],
  live: [
    exampleLive("cr_LOAD", "load-test", { description: "load test", acl: ["bind:old.example.com"] }),
    exampleLive("cr_DEV", "devices"),
    exampleLive("cr_OLD", "old-laptop"),
    { id: "cr_THEIRS", uri: "", created_at: "2026-01-01T00:00:00Z", token: null, acl: [], owner_id: "usr_1", description: "hand-made" },
  ],
  stored: new Map([["load-test", "cr_LOAD"], ["devices", "cr_DEV"]]),
  intents: [],
  specFiles: 2,
  maxDeletes: 10,
});

/**
 * The README's reviewed-settings sample: a pull request gives ci-runners a delivery target and a shorter rotate_after,
 * which ngrok does not hold: no ngrok change, two settings to review against the base branch's specs.
 */
export const exampleSettingsPlan: Plan = makePlan({
  ownerId: EXAMPLE_OWNER,
  specs: [exampleSpec("ci-runners", { rotate_after_ms: 30 * 86_400_000, deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_TOKEN" } }] })],
  live: [exampleLive("cr_CI", "ci-runners", { created_at: "2026-05-20T00:00:00Z" })],
  stored: new Map([["ci-runners", "cr_CI"]]),
  intents: [],
  specFiles: 1,
  maxDeletes: 10,
  previous: { label: "the default branch (abc1234)", specs: [exampleSpec("ci-runners", { rotate_after_ms: 90 * 86_400_000 })] },
  now: Date.parse("2026-06-01T00:00:00Z"),
});
