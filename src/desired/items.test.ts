// splitItems: a plain list file splits into its entries' texts with their lines; anything unusual is not split.
import { expect, it } from "vitest";
import { splitItems } from "./items.js";

it("splits a usual file into its entries, comments and blank lines staying with the entry above", () => {
  const content = "# team file\n\ncredentials:   # all of them\n  # first\n  - name: a\n    acl:\n      - bind:a.com\n\n# b is next\n  - name: b\n";
  expect(splitItems(content)).toEqual([
    { text: "  - name: a\n    acl:\n      - bind:a.com\n\n# b is next\n", line: 5 },
    { text: "  - name: b\n", line: 10 },
  ]);
  expect(splitItems("credentials:\n- name: a\n-\n- name: c")).toEqual([
    { text: "- name: a\n", line: 2 },
    { text: "-\n", line: 3 },
    { text: "- name: c", line: 4 },
  ]);
  expect(splitItems("credentials:\r\n  - name: a\r\n  - name: b\r\n")).toEqual([
    { text: "  - name: a\r\n", line: 2 },
    { text: "  - name: b\r\n", line: 3 },
  ]);
});

it("does not split what an entry alone could read differently, or any other shape", () => {
  const unsplit = [
    "",
    "credentials:\n",
    "credentials: []\n",
    "credentials:\n  - {name: a}\nother: 1\n",
    "other: 1\ncredentials:\n  - name: a\n",
    "credentials:\n  - name: a\n other: 1\n",
    "credentials:\n  - name: a\n - name: b\n",
    "credentials:\n    - name: a\n  - name: b\n",
    "credentials:\n  - name: a\n---\n  - name: b\n",
    "---\ncredentials:\n  - name: a\n",
    "%YAML 1.2\n---\ncredentials:\n  - name: a\n",
    "\uFEFFcredentials:\n  - name: a\n",
    "credentials:\n\t- name: a\n",
    "credentials:\n  -name: a\n",
    "credentials:\n  - name: \"a\n\"\n  - name: b\n",
    "credentials:\n  name: a\n",
  ];
  for (const content of unsplit) expect(splitItems(content), JSON.stringify(content)).toBeNull();
});
