// Guards the runtime boundary: everything in src/vault except file-store.ts must load in workerd without Node APIs.
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const dir = fileURLToPath(new URL(".", import.meta.url));

it("uses no Node API outside file-store.ts, and the Worker-facing index does not pull file-store in", async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "file-store.ts");
  expect(files).toContain("vault.ts");
  for (const file of files) {
    // Comments may talk about Node; only code counts.
    const source = (await readFile(`${dir}/${file}`, "utf8")).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    expect(source, file).not.toMatch(/from\s+["']node:|require\(|\bBuffer\b|\bprocess\./);
    expect(source, file).not.toMatch(/from\s+["']\.\/file-store["']/);
  }
});
