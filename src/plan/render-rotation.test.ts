// Rotations and deliveries read clearly in both renderings, and never carry a token.
import { expect, it } from "vitest";
import { encodeMetadata } from "../ownership/marker.js";
import type { CredentialSpec } from "../desired/types.js";
import { makePlan } from "./plan.js";
import { renderMarkdown, renderText } from "./render.js";

const spec: CredentialSpec = {
  name: "ci-runners",
  description: "",
  metadata: null,
  acl: [],
  prevent_destroy: false,
  deliver: [{ github_actions_secret: { repo: "acme/site", name: "NGROK_AUTHTOKEN" } }],
  rotate_after_ms: 90 * 86_400_000,
  source: { file: "f", line: 1, column: 1, field: "" },
};

it("shows the rotation with its grace window and the delivery as its own action", () => {
  const plan = makePlan({
    ownerId: "o",
    specs: [spec],
    live: [{ id: "cr_OLD", uri: "", created_at: "2026-01-01T00:00:00Z", token: null, acl: [], owner_id: "usr_1", metadata: encodeMetadata(null, { owner: "o", name: "ci-runners" }) }],
    stored: new Map([["ci-runners", "cr_OLD"]]),
    intents: [],
    specFiles: 1,
    maxDeletes: 1,
    now: Date.parse("2026-06-01T00:00:00Z"),
    delivered: [],
  });
  expect(renderText(plan)).toBe(
    [
      "  +/- ci-runners (cr_OLD) will be rotated",
      "  !     # older than rotate_after (151 days): a new credential (and token) is created; cr_OLD keeps working until 2026-06-01T01:00:00.000Z, then it is deleted",
      "",
      "  > deliver ci-runners -> acme/site:NGROK_AUTHTOKEN",
      "",
      "Plan: 1 to create, 0 to update, 0 to delete.",
      "0 unchanged · 0 unmanaged left alone",
      "",
    ].join("\n"),
  );
  expect(renderMarkdown(plan)).toContain("> deliver ci-runners -> acme/site:NGROK_AUTHTOKEN");
});

it("names an organisation secret target and a removal plainly", async () => {
  const { deliveryLine } = await import("./render.js");
  expect(deliveryLine({ action: "deliver", name: "ci", target: { kind: "org", key: "org:acme:T", org: "acme", secret: "T", visibility: "all" } })).toBe("> deliver ci -> organisation acme:T");
  expect(deliveryLine({ action: "undeliver", name: "ci", target: { kind: "repo", key: "a/b@prod:T", repo: "a/b", secret: "T", environment: "prod" } })).toBe("< remove secret a/b (environment prod):T (was ci)");
});
