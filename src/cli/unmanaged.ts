// `npm run unmanaged`: the live credentials without our marker (id, created, description), for the operator choosing what to `import:`; the one place their ids are shown (plans only count them).
import type { Credential } from "../ngrok/types.js";
import { decodeMetadata } from "../ownership/marker.js";

export interface UnmanagedCredential {
  id: string;
  created_at: string;
  description: string;
}

/** Oldest first, as ngrok lists them; credentials of another installation (another OWNER_ID's marker) are not unmanaged. */
export function unmanagedCredentials(live: readonly Credential[]): UnmanagedCredential[] {
  return live
    .filter((c) => decodeMetadata(c.metadata).kind === "unmarked")
    .map((c) => ({ id: c.id, created_at: c.created_at, description: c.description ?? "" }))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

/** A table for the terminal, with a hint on adopting one; control characters in descriptions are made visible. */
export function renderUnmanaged(list: readonly UnmanagedCredential[], total: number): string {
  if (list.length === 0) return `No unmanaged credentials (${total} live, all carry an ngrok-gitops marker).\n`;
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const rows = list.map((c) => [c.id, c.created_at, clean(c.description) || "(no description)"]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length), i === 0 ? 2 : 7));
  const line = (r: string[]) => `${(r[0] ?? "").padEnd(widths[0] ?? 0)}  ${(r[1] ?? "").padEnd(widths[1] ?? 0)}  ${r[2] ?? ""}`.trimEnd();
  return [
    line(["ID", "CREATED", "DESCRIPTION"]),
    ...rows.map(line),
    "",
    `${list.length} unmanaged of ${total} live credentials. To manage one, add a spec with \`import: <ID>\` and apply.`,
    "",
  ].join("\n");
}
