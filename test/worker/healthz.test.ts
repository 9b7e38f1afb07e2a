// The Worker answers its health check inside workerd, without auth and without secrets.
import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("GET /healthz answers 200 {ok:true} and reveals nothing else", async () => {
  const res = await SELF.fetch("http://worker/healthz");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});
