// CODEOWNERS, as GitHub reads it: gitignore-like patterns, owners @user or @org/team, the last matching line wins.

/** Where GitHub looks for the file, in order: the first that exists is the one used. */
export const CODEOWNERS_PATHS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;

export type Owner = { kind: "user"; login: string } | { kind: "team"; org: string; slug: string };

export interface OwnerRule {
  /** 1-based line of the file. */
  line: number;
  pattern: string;
  /** Empty: the line clears ownership of what it matches. */
  owners: Owner[];
  regex: RegExp;
}

export interface CodeownersError {
  code: "CODEOWNERS_INVALID";
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface Codeowners {
  /** The file read (e.g. `.github/CODEOWNERS`); null when the repository has none. */
  file: string | null;
  rules: OwnerRule[];
}

export type CodeownersParse = { ok: true; codeowners: Codeowners } | { ok: false; errors: CodeownersError[] };

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const TEAM = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** `@user`, `@org/team`: how an owner is written. */
export function ownerText(owner: Owner): string {
  return owner.kind === "user" ? `@${owner.login}` : `@${owner.org}/${owner.slug}`;
}

/** Parses a CODEOWNERS file; every invalid line is an error naming its line (a file with errors gives no owners at all). */
export function parseCodeowners(file: string, content: string): CodeownersParse {
  const rules: OwnerRule[] = [];
  const errors: CodeownersError[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const fail = (column: number, message: string) => errors.push({ code: "CODEOWNERS_INVALID", file, line, column, message });
    const tokens = tokenize(raw);
    if (tokens === null) return fail(raw.length, "the line ends with a lone backslash");
    if (tokens.length === 0) return;
    const [first, ...rest] = tokens as [Token, ...Token[]];
    if (first.text.startsWith("\\#")) return fail(first.column, "escaping a leading # with a backslash does not work in CODEOWNERS on GitHub: the line would not match what it seems to; rename the path or match it with a wildcard (e.g. ?name)");
    const problem = patternProblem(first.text);
    if (problem) return fail(first.column, problem);
    const owners: Owner[] = [];
    for (const token of rest) {
      const owner = parseOwner(token.text);
      if (typeof owner === "string") return fail(token.column, owner);
      owners.push(owner);
    }
    rules.push({ line, pattern: first.text, owners, regex: patternRegex(first.text) });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, codeowners: { file, rules } };
}

/** The owners of `path` (repository-relative, no leading slash): the last matching line's; none when no line matches. */
export function ownersOf(codeowners: Codeowners, path: string): { owners: Owner[]; line: number | null } {
  for (let i = codeowners.rules.length - 1; i >= 0; i--) {
    const rule = codeowners.rules[i] as OwnerRule;
    if (rule.regex.test(path)) return { owners: rule.owners, line: rule.line };
  }
  return { owners: [], line: null };
}

interface Token {
  /** With escapes kept (`\ `, `\#`): the pattern compiler reads them. */
  text: string;
  column: number;
}

/** Splits a line on unescaped whitespace; a `#` starting a token begins a comment (inline comments too). Null: a trailing lone backslash. */
function tokenize(raw: string): Token[] | null {
  const tokens: Token[] = [];
  let current = "";
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === "\\") {
      if (i + 1 >= raw.length) return null;
      if (current === "") start = i;
      current += c + raw[i + 1];
      i++;
    } else if (c === " " || c === "\t") {
      if (current !== "") tokens.push({ text: current, column: start + 1 });
      current = "";
    } else if (c === "#" && current === "") {
      break;
    } else {
      if (current === "") start = i;
      current += c;
    }
  }
  if (current !== "") tokens.push({ text: current, column: start + 1 });
  return tokens;
}

/** What GitHub's CODEOWNERS refuses from gitignore's syntax (docs: "About code owners"). */
function patternProblem(pattern: string): string | null {
  if (pattern.startsWith("!")) return `"${pattern}": negation with ! does not work in CODEOWNERS`;
  if (/(^|[^\\])\[/.test(pattern)) return `"${pattern}": character ranges with [ ] do not work in CODEOWNERS`;
  return null;
}

function parseOwner(text: string): Owner | string {
  if (text.startsWith("@")) {
    const name = text.slice(1);
    if (LOGIN.test(name)) return { kind: "user", login: name };
    if (TEAM.test(name)) {
      const [org = "", slug = ""] = name.split("/");
      return { kind: "team", org, slug };
    }
    return `"${text}" is not a GitHub user (@login) or team (@org/team)`;
  }
  if (/^[^@\s]+@[^@\s]+$/.test(text)) return `"${text}": owners by email address cannot be checked by ngrok-gitops; name the GitHub user (@login) or team (@org/team)`;
  return `"${text}" is not an owner: owners are written @login or @org/team`;
}

/**
 * gitignore's rules as CODEOWNERS uses them: a leading `/`, or a `/` inside the pattern, anchors it to the
 * repository root; otherwise it matches at any depth. A trailing `/` matches a folder's contents only; a pattern
 * that matches a folder also owns everything beneath it. `*` and `?` stay within one path segment; `**` spans
 * segments (`**\/x`, `x/**`, `a/**\/b`).
 */
export function patternRegex(pattern: string): RegExp {
  let p = pattern;
  const dirOnly = p.endsWith("/") && !p.endsWith("\\/");
  if (dirOnly) p = p.replace(/\/+$/, "");
  const anchored = p.startsWith("/") || p.includes("/");
  p = p.replace(/^\/+/, "");
  const segments = p.split("/");
  let body = "";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") {
      // Leading **/: any folders (none included); trailing /**: everything inside; middle /**/: zero or more folders.
      if (i === 0) body += last ? ".*" : "(?:.*/)?";
      else if (last) body += ".*";
      else body += "(?:.*/)?";
      return;
    }
    body += segmentRegex(segment) + (last ? "" : "/");
  });
  const prefix = anchored ? "^" : "^(?:.*/)?";
  const suffix = dirOnly ? "/.+$" : "(?:/.*)?$";
  return new RegExp(prefix + body + suffix);
}

function segmentRegex(segment: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === "\\" && i + 1 < segment.length) {
      out += escapeRegex(segment[i + 1] as string);
      i++;
    } else if (c === "*") {
      while (segment[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else out += escapeRegex(c);
  }
  return out;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
