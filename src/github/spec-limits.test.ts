// The tree-listing limits: count, per-file and total bytes, judged before any download, naming limit and file.
import { describe, expect, it } from "vitest";
import { specLimitViolation, type TreeBlob } from "./spec-limits.js";

const limits = { maxFiles: 3, maxFileBytes: 100, maxTotalBytes: 250 };
const blob = (path: string, size?: number): TreeBlob => ({ path, sha: path, ...(size === undefined ? {} : { size }) });

describe("specLimitViolation", () => {
  it("passes a listing inside every limit, at the limits exactly", () => {
    expect(specLimitViolation([], limits)).toBeNull();
    expect(specLimitViolation([blob("credentials/a.yaml", 100), blob("credentials/b.yaml", 100), blob("credentials/c.yaml", 50)], limits)).toBeNull();
  });

  it("refuses too many files, naming the first one over, whatever the listing order", () => {
    const files = ["d", "b", "a", "c"].map((n) => blob(`credentials/${n}.yaml`, 1));
    expect(specLimitViolation(files, limits)).toEqual({ limit: "files", file: "credentials/d.yaml", message: expect.stringContaining("4 spec files; at most 3") });
  });

  it("refuses one file over the per-file limit, by name and size", () => {
    const v = specLimitViolation([blob("credentials/a.yaml", 10), blob("credentials/big.yaml", 101)], limits);
    expect(v).toMatchObject({ limit: "file_bytes", file: "credentials/big.yaml" });
    expect(v?.message).toContain("credentials/big.yaml is 101 bytes");
    expect(v?.message).toContain("at most 100");
  });

  it("refuses a total over the run's limit, naming the file that crossed it", () => {
    const v = specLimitViolation([blob("credentials/c.yaml", 100), blob("credentials/a.yaml", 100), blob("credentials/b.yaml", 51)], limits);
    expect(v).toMatchObject({ limit: "total_bytes", file: "credentials/c.yaml" });
    expect(v?.message).toContain("251 bytes");
  });

  it("refuses a blob whose size the listing does not give", () => {
    for (const size of [undefined, -1, 1.5, Number.NaN]) {
      expect(specLimitViolation([blob("credentials/a.yaml", size)], limits)).toMatchObject({ limit: "size_unknown", file: "credentials/a.yaml" });
    }
  });
});

describe("SpecLimitError", () => {
  it("carries limit and file, and reads as a spec error on that file", async () => {
    const { SpecLimitError } = await import("./specs.js");
    const error = new SpecLimitError("file_bytes", "credentials/big.yaml", "credentials/big.yaml is 2000000 bytes; a spec file may have at most 1048576");
    expect(error).toMatchObject({ code: "SPEC_LIMIT_EXCEEDED", limit: "file_bytes", file: "credentials/big.yaml" });
    expect(error.toSpecErrors()).toEqual([{ code: "FILE_TOO_LARGE", file: "credentials/big.yaml", line: 1, column: 1, field: "", message: error.message }]);
    expect(new SpecLimitError("files", "credentials/x.yaml", "m").toSpecErrors()[0]?.code).toBe("TOO_MANY_FILES");
  });
});
