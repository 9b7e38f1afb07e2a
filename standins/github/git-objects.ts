// Git object hashing (blob, tree, commit) exactly as git computes it, with WebCrypto only, so SHAs match `git hash-object`.

const encoder = new TextEncoder();

export type Bytes = Uint8Array<ArrayBuffer>;

export function utf8(text: string): Bytes {
  return new Uint8Array(encoder.encode(text));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function fromHex(hex: string): Bytes {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function concat(parts: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function sha1Hex(data: Bytes): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", data)));
}

/** Hashes `<type> <len>\0<body>`, git's loose-object header, the same for every object type. */
async function hashObject(type: "blob" | "tree" | "commit", body: Uint8Array): Promise<string> {
  return sha1Hex(concat([utf8(`${type} ${body.length}\0`), body]));
}

export function blobSha(content: Uint8Array): Promise<string> {
  return hashObject("blob", content);
}

/** GitHub's API spells a tree's mode `040000`; inside the tree object git writes `40000`. */
export type EntryMode = "100644" | "100755" | "120000" | "040000";

export interface TreeEntry {
  readonly name: string;
  readonly mode: EntryMode;
  readonly type: "blob" | "tree";
  readonly sha: string;
}

/** git orders entries by name bytes, comparing a subtree's name as if it ended in `/`. */
export function sortTreeEntries(entries: readonly TreeEntry[]): TreeEntry[] {
  const key = (e: TreeEntry) => (e.type === "tree" ? `${e.name}/` : e.name);
  return [...entries].sort((a, b) => compareBytes(utf8(key(a)), utf8(key(b))));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function treeSha(entries: readonly TreeEntry[]): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const entry of sortTreeEntries(entries)) {
    const mode = entry.mode === "040000" ? "40000" : entry.mode;
    parts.push(utf8(`${mode} ${entry.name}\0`), fromHex(entry.sha));
  }
  return hashObject("tree", concat(parts));
}

export interface GitSignature {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
}

export interface CommitFields {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitSignature;
  readonly committer: GitSignature;
  readonly message: string;
}

export function commitSha(fields: CommitFields): Promise<string> {
  const sig = (s: GitSignature) => `${s.name} <${s.email}> ${s.timestamp} +0000`;
  const lines = [`tree ${fields.tree}`, ...fields.parents.map((p) => `parent ${p}`)];
  lines.push(`author ${sig(fields.author)}`, `committer ${sig(fields.committer)}`);
  const message = fields.message.endsWith("\n") ? fields.message : `${fields.message}\n`;
  return hashObject("commit", utf8(`${lines.join("\n")}\n\n${message}`));
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Bytes {
  const binary = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** GitHub serialises blob and file content like Ruby's `Base64.encode64`: 60-char lines, each ending in `\n`. */
export function toWrappedBase64(bytes: Uint8Array): string {
  const flat = toBase64(bytes);
  let out = "";
  for (let i = 0; i < flat.length; i += 60) out += `${flat.slice(i, i + 60)}\n`;
  return out;
}

export function randomHex(byteCount: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteCount)));
}
