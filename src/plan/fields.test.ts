// The field compare: an ACL in another order is the same ACL, as normalising it says, and the quick check of an unchanged credential agrees with fieldChanges.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CredentialSpec } from "../desired/types.js";
import type { Credential } from "../ngrok/types.js";
import { fieldChanges, normaliseAcl, sameOutsideMarker } from "./fields.js";

const rule = fc.constantFrom("*", "bind:a.com", "bind:*.a.com", "bind:b.com", "bind:team=x");
const acl = fc.array(rule, { maxLength: 5 });

function spec(list: string[], extra: Partial<CredentialSpec> = {}): CredentialSpec {
  return { name: "a", description: "", metadata: null, acl: list, prevent_destroy: false, deliver: [], source: { file: "credentials/a.yaml", line: 1, column: 1, field: "credentials[0]" }, ...extra };
}

function live(list: string[], extra: Partial<Credential> = {}): Credential {
  return { id: "cr_1", uri: "https://api.ngrok.com/credentials/cr_1", created_at: "2026-01-01T00:00:00Z", description: "", token: null, acl: list, owner_id: "usr_1", ...extra };
}

describe("fieldChanges", () => {
  it("finds an ACL change exactly when the normalised live rules differ from the spec's, in any order, with repeats, sorted or not", () => {
    fc.assert(
      fc.property(acl, acl, fc.boolean(), (l, s, sortSpec) => {
        const wanted = sortSpec ? [...new Set(s)].sort() : s;
        const changed = fieldChanges(spec(wanted), live(l), undefined, 0).some((field) => field.field === "acl");
        const before = normaliseAcl(l);
        expect(changed).toBe(!(before.length === wanted.length && before.every((r, i) => r === wanted[i])));
      }),
      { numRuns: 3_000 },
    );
  });

  it("sameOutsideMarker is fieldChanges finding no description, ACL or owner_id change", () => {
    fc.assert(
      fc.property(acl, acl, fc.constantFrom("", "x"), fc.constantFrom("", "x"), fc.option(fc.constantFrom("usr_1", "usr_2"), { nil: undefined }), (l, s, d1, d2, owner) => {
        const wanted = spec([...new Set(s)].sort(), { description: d1, ...(owner ? { owner_id: owner } : {}) });
        const credential = live(l, { description: d2 });
        const outside = fieldChanges(wanted, credential, undefined, 0).filter((field) => field.field !== "metadata");
        expect(sameOutsideMarker(wanted, credential)).toBe(outside.length === 0);
      }),
      { numRuns: 2_000 },
    );
  });
});
