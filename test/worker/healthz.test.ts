// The Worker answers its health check inside workerd, without auth: 200 when the configuration is sound, else 503 naming each bad value.
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { configProblems } from "../../src/config.js";
import { bindings } from "./support.js";

describe("/healthz", () => {
  it("answers 200 {ok:true} and reveals nothing else but whether reviews are enforced when the configuration is sound", async () => {
    const res = await SELF.fetch("http://worker/healthz");
    expect(res.status).toBe(200);
    // No apply has seen a policy with `review:` in this file's storage: it says so, rather than letting anyone assume reviews gate applies.
    expect(await res.json()).toEqual({ ok: true, reviews: "not enforced: the policy file has no review: section" });
  });

  it("answers 503 naming the bad values when the Worker runs with them", async () => {
    const env = { ...bindings, MAX_DELETES: "ten", ROTATE_AFTER: "90 days", GITHUB_REPOSITORY: "acme/infra" } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("http://worker/healthz"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { ok: boolean; config_errors: string[] };
    expect(body.ok).toBe(false);
    expect(body.config_errors.map((e) => e.split(":")[0]).sort()).toEqual(["GITHUB_REPOSITORY", "MAX_DELETES", "ROTATE_AFTER"]);
    expect(JSON.stringify(body)).not.toContain(bindings.ADMIN_TOKEN);
  });

  it("answers 503 when ADMIN_TOKEN is too short to keep the operator API open, without showing it", async () => {
    const env = { ...bindings, ADMIN_TOKEN: "short-admin-token" } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("http://worker/healthz"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toContain("ADMIN_TOKEN is shorter than 32 characters");
    expect(text).not.toContain("short-admin-token");
  });

  it("names every bad or placeholder value, never a secret's value", () => {
    const env = {
      ...bindings,
      MAX_DELETES: "ten",
      ROTATE_AFTER: "90 days",
      GITHUB_REPOSITORY: "acme/infra",
      OWNER_ID: "ngrok-gitops",
      MAX_SUBREQUESTS: "8",
      DRIFT_MODE: "sometimes",
      TOKEN_ENCRYPTION_KEYS: "not a keyring",
    } as unknown as Env;
    const problems = configProblems(env);
    expect(problems.map((p) => p.name).sort()).toEqual(["DRIFT_MODE", "GITHUB_REPOSITORY", "MAX_DELETES", "MAX_SUBREQUESTS", "OWNER_ID", "ROTATE_AFTER", "TOKEN_ENCRYPTION_KEYS"]);
    expect(JSON.stringify(problems)).not.toContain("not a keyring");
    const unset = configProblems({ ...bindings, NGROK_API_KEY: "", ADMIN_TOKEN: "" } as unknown as Env);
    expect(unset.map((p) => p.name).sort()).toEqual(["ADMIN_TOKEN", "NGROK_API_KEY"]);
  });
});
