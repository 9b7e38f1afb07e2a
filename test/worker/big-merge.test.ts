// A merge adding hundreds of spec files converges: downloading them takes several invocations, and each counts as progress.
import { beforeAll, expect, it } from "vitest";
import { freshWorld, bindings, commit, deliver, liveCredentials, pushPayload, settle } from "./support.js";

const FILES = 250;
let base = "";

beforeAll(async () => {
  expect(bindings.MAX_SUBREQUESTS).toBe("50");
  base = (await freshWorld()).base;
  await settle();
});

it(`a push adding ${FILES} new spec files (more blobs than one invocation may fetch) is applied, not given up`, async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) files[`credentials/svc-${String(i).padStart(3, "0")}.yaml`] = `credentials:\n  - name: svc-${i}\n    description: service ${i}\n`;
  const merged = (await commit("main", files)).sha;
  expect((await deliver("push", pushPayload(merged, base))).status).toBe(202);
  const status = await settle();
  expect(status.last?.errors).toEqual([]);
  expect(status.last).toMatchObject({ cause: "push", status: "succeeded", sha: merged, summary: { create: FILES, update: 0, delete: 0 } });
  expect(await liveCredentials()).toHaveLength(FILES);
});
