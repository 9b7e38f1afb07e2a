import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSpecs } from "./load.js";

const item = (i: number, typo: number) => {
  const lines = [`  - name: svc-${i}`, `    description: "service ${i}"`, "    metadata: {team: a}", "    acl:", `      - bind:svc-${i}.example.com`];
  // A typo in one of the item's fields, or a wrong value deeper in it.
  if (typo === 1) lines[1] = `    descriptin: "service ${i}"`;
  if (typo === 2) lines[4] = "      - nope:x";
  if (typo === 3) lines.splice(2, 0, "    extra_key: 1");
  return [...lines, ...(i % 3 === 0 ? ["", "    # a comment"] : []), ""].join("\n");
};

const PADDING = Array.from({ length: 16 }, (_, i) => item(100 + i, 0)).join("");

describe("placing errors by their items alone", () => {
  it("gives the whole positional parse's places (fast-check: errors in random items)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }), (typos) => {
        // Valid items after them, so that an eighth of the file (the budget) holds a failing item.
        const content = `# fleet\ncredentials:\n${typos.map((t, i) => item(i, t)).join("")}${PADDING}`;
        const files = [{ path: "credentials/a.yaml", content }];
        const whole = loadSpecs(files, { ownerId: "o", fastParse: false });
        const cheap = loadSpecs(files, { ownerId: "o" });
        const budgeted = loadSpecs(files, { ownerId: "o", maxParseBytes: 51_200 });
        expect(cheap).toEqual(whole);
        // Under a budget an eighth of the file is parsed with positions: the errors it places are the whole parse's.
        if (!whole.ok && !budgeted.ok) {
          const places = new Set(whole.errors.map((e) => `${e.line}:${e.column}:${e.field}`));
          const placed = budgeted.errors.filter((e) => e.line !== 1);
          for (const e of placed) expect(places.has(`${e.line}:${e.column}:${e.field}`)).toBe(true);
          if (typos.filter((t) => t > 0).length === 1) expect(budgeted).toEqual(whole);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("places a syntax error under a budget by its entry alone", () => {
    const content = `credentials:\n${item(0, 0)}${item(1, 0).replace(': "service 1"', ': "service" "1"')}${PADDING}`;
    const files = [{ path: "credentials/a.yaml", content }];
    const whole = loadSpecs(files, { ownerId: "o" });
    const budgeted = loadSpecs(files, { ownerId: "o", maxParseBytes: 51_200 });
    expect(budgeted.ok).toBe(false);
    expect(whole.ok).toBe(false);
    if (!budgeted.ok && !whole.ok) expect(budgeted.errors.map((e) => [e.line, e.column, e.field])).toEqual(whole.errors.map((e) => [e.line, e.column, e.field]));
  });

  it("places a typo in a small file under a budget exactly: an item's worth is always placed, not only an eighth of the file", () => {
    // Two items, about 250 bytes: an eighth of the file is less than the failing item.
    const content = `credentials:\n${item(0, 0)}${item(1, 1)}`;
    const files = [{ path: "credentials/small.yaml", content }];
    const whole = loadSpecs(files, { ownerId: "o", fastParse: false });
    const budgeted = loadSpecs(files, { ownerId: "o", maxParseBytes: 51_200 });
    expect(whole.ok).toBe(false);
    expect(budgeted).toEqual(whole);
  });
});
