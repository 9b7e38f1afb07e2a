// `npm run unmanaged`: the live credentials (and service users, API keys, SSH credentials) without our marker (id, created, description), for the operator choosing what to `import:`; the one place their ids are shown (plans only count them).
import type { LiveResource } from "../ngrok/resources.js";
import type { Credential } from "../ngrok/types.js";
import { decodeMetadata } from "../ownership/marker.js";
import { decodeNameMarker } from "../ownership/name-marker.js";

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

/** A live item of another kind without our marker: service users are shown by their name, the others by description. */
export interface UnmanagedItem {
  kind: "service_user" | "api_key" | "ssh_credential";
  id: string;
  created_at: string;
  description: string;
}

/** The other kinds' unmanaged items, kind by kind, oldest first: service users without a name marker, keys and SSH credentials without a metadata marker. */
export function unmanagedOfKinds(live: { service_users?: readonly LiveResource[]; api_keys?: readonly LiveResource[]; ssh_credentials?: readonly LiveResource[] }): UnmanagedItem[] {
  const byAge = (a: UnmanagedItem, b: UnmanagedItem) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
  const users = (live.service_users ?? []).filter((u) => decodeNameMarker(u.name ?? "") === null).map((u): UnmanagedItem => ({ kind: "service_user", id: u.id, created_at: u.created_at, description: u.name ?? "" }));
  const marked = (kind: "api_key" | "ssh_credential", items: readonly LiveResource[] = []) =>
    items.filter((i) => decodeMetadata(i.metadata).kind === "unmarked").map((i): UnmanagedItem => ({ kind, id: i.id, created_at: i.created_at, description: i.description ?? "" }));
  return [...users.sort(byAge), ...marked("api_key", live.api_keys).sort(byAge), ...marked("ssh_credential", live.ssh_credentials).sort(byAge)];
}

const TITLES = { service_user: "service users", api_key: "API keys", ssh_credential: "SSH credentials" } as const;

/** The other kinds' sections after the credentials' table: one per kind that has unmanaged items. */
export function renderUnmanagedKinds(items: readonly UnmanagedItem[], totals: Readonly<Record<UnmanagedItem["kind"], number>>): string {
  let out = "";
  for (const kind of ["service_user", "api_key", "ssh_credential"] as const) {
    const list = items.filter((item) => item.kind === kind);
    if (list.length === 0) continue;
    const table = renderUnmanaged(list, totals[kind]).replace(/credentials\. To manage one/, `${TITLES[kind]}. To manage one`).replace(/live credentials/, `live ${TITLES[kind]}`);
    const header = kind === "service_user" ? table.replace(/^ID(\s+)CREATED(\s+)DESCRIPTION/, "ID$1CREATED$2NAME") : table;
    out += `\n${TITLES[kind][0]?.toUpperCase()}${TITLES[kind].slice(1)}:\n${header}`;
  }
  return out;
}
