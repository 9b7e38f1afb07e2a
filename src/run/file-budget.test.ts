// A spec file larger than one invocation's CPU can parse is refused before it is parsed, on the Worker's path only.
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../standins/ngrok/app.js";
import { MemoryIntentLog } from "../apply/memory-intents.js";
import type { FileResult } from "../desired/load.js";
import type { SpecSource } from "../desired/types.js";
import { NgrokClient } from "../ngrok/client.js";
import { generateKeyringEntry, importKeyring, TokenVault } from "../vault/index.js";
import { MemoryTokenStore } from "../vault/memory-store.js";
import { maxParseBytes, unitsForCpuMs } from "./cpu-units.js";
import { runLocal, type RunDeps } from "./local.js";

const OWNER = "acme-prod";
const FREE_UNITS = unitsForCpuMs(10);

/** `count` valid credentials, as people write them: about 100 bytes each. */
function specFile(path: string, count: number, prefix = "svc"): SpecSource {
  const lines = ["credentials:"];
  for (let i = 0; i < count; i++) lines.push(`  - name: ${prefix}-${String(i).padStart(5, "0")}`, `    description: "agent ${i} of the fleet, tunnels for its service"`, `    acl: [bind:${prefix}-${i}.example.com]`);
  return { path, content: `${lines.join("\n")}\n` };
}

async function world() {
  const emulator = createEmulator({ rateLimit: "off" });
  const apiKey = `budget_${Math.random().toString(36).slice(2)}`;
  const client = new NgrokClient({ baseUrl: "http://emulator.test", apiKey, fetch: (r) => emulator.fetch(r), sleep: async () => {}, rateLimit: "off" });
  const vault = new TokenVault(new MemoryTokenStore(), await importKeyring(generateKeyringEntry("k1")));
  const deps: RunDeps = { ngrok: client, vault, intents: new MemoryIntentLog() };
  return { deps, account: emulator.account(apiKey) };
}

describe("a spec file over the CPU budget", () => {
  // Over Workers Free's limit (about 50 KB at 10 ms), far under the 1 MiB one.
  const big = specFile("credentials/big.yaml", 1000);
  const small = specFile("credentials/small.yaml", 2, "web");
  const limit = maxParseBytes(FREE_UNITS);

  it("is bigger than the Free limit and smaller than 1 MiB", () => {
    expect(big.content.length).toBeGreaterThan(limit);
    expect(big.content.length).toBeLessThan(1024 * 1024);
  });

  it("is refused through the run core under the Free budgets, unparsed, and nothing is applied", async () => {
    const { deps, account } = await world();
    const cache = new Map<string, FileResult>();
    const result = await runLocal([big, small], { ownerId: OWNER, maxDeletes: 0, mode: "apply", cache, callsPerInvocation: 50, unitsPerInvocation: FREE_UNITS }, deps);
    expect(result.kind).toBe("invalid");
    expect(result.output.status).toBe("invalid");
    expect(result.output.errors).toEqual([
      `credentials/big.yaml:1:1: file is ${big.content.length} bytes; one invocation's CPU (MAX_CPU_MS) parses at most ${limit} bytes of a spec file: split it into smaller files, or raise MAX_CPU_MS (Workers Paid)`,
    ]);
    if (result.kind === "invalid") expect(result.errors[0]).toMatchObject({ code: "FILE_OVER_CPU_BUDGET", file: "credentials/big.yaml", line: 1, column: 1 });
    expect(account.credentials()).toHaveLength(0);
    // The small file was parsed and kept; the big one never was, and its refusal is not kept: MAX_CPU_MS can be raised.
    expect([...cache.keys()].some((key) => key.includes("credentials/small.yaml"))).toBe(true);
    expect([...cache.keys()].some((key) => key.includes("credentials/big.yaml"))).toBe(false);
  });

  it("is accepted with a budget that can parse it (MAX_CPU_MS raised), and by the CLI without a budget", async () => {
    const raised = await world();
    const paid = await runLocal([big, small], { ownerId: OWNER, maxDeletes: 0, mode: "plan", cache: new Map(), callsPerInvocation: 50, unitsPerInvocation: unitsForCpuMs(30_000) }, raised.deps);
    expect(paid.kind).toBe("planned");
    const cli = await world();
    const unbudgeted = await runLocal([big, small], { ownerId: OWNER, maxDeletes: 0, mode: "apply" }, cli.deps);
    expect(unbudgeted.kind).toBe("applied");
    expect(cli.account.credentials()).toHaveLength(1002);
  });

  it("a file at the limit is parsed, under the Free budgets", async () => {
    const { deps } = await world();
    let count = 1;
    while (specFile("credentials/edge.yaml", count + 1).content.length <= limit) count++;
    const edge = specFile("credentials/edge.yaml", count);
    const result = await runLocal([edge], { ownerId: OWNER, maxDeletes: 0, mode: "plan", cache: new Map(), callsPerInvocation: 50, unitsPerInvocation: FREE_UNITS }, deps);
    expect(result.kind).toBe("planned");
  });
});
