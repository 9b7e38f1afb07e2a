// On Workers Free (MAX_CPU_MS 10) a spec file larger than one invocation can parse is refused unparsed, through the Worker: nothing applied.
import { beforeAll, describe, expect, it } from "vitest";
import { maxParseBytes, unitsForCpuMs } from "../../src/run/cpu-units.js";
import { bindings, commit, deliver, freshWorld, liveCredentials, pushPayload, settle } from "./support.js";

let base: string;

beforeAll(async () => {
  expect(bindings.MAX_CPU_MS).toBe("10");
  base = (await freshWorld({ files: { "README.md": "file budget\n" } })).base;
  await settle();
});

describe("a spec file over the CPU budget", () => {
  it("is refused at its line 1 with its size and the limit, and nothing is applied", async () => {
    const limit = maxParseBytes(unitsForCpuMs(10));
    const lines = ["credentials:"];
    for (let i = 0; lines.join("\n").length <= limit; i++) lines.push(`  - name: big-${i}`, `    description: "entry ${i} of a file too large for one invocation"`);
    const big = `${lines.join("\n")}\n`;
    const head = (await commit("main", { "credentials/small.yaml": "credentials:\n  - name: small\n", "credentials/big.yaml": big })).sha;
    expect((await deliver("push", pushPayload(head, base))).status).toBe(202);
    const status = await settle();
    expect(status.last).toMatchObject({ cause: "push", status: "invalid", sha: head });
    expect(status.last?.errors).toEqual([
      `credentials/big.yaml:1:1: file is ${big.length} bytes; one invocation's CPU (MAX_CPU_MS) parses at most ${limit} bytes of a spec file: split it into smaller files, or raise MAX_CPU_MS (Workers Paid)`,
    ]);
    expect(await liveCredentials()).toEqual([]);
  });
});
