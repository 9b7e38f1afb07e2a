// Bind targets of ACL rules and of policy patterns, parsed to plain data, and whether a pattern covers a rule.

export type BindTarget =
  /** `example.com`, or every subdomain of `suffix` (".example.com") for `*.example.com`. */
  | { kind: "host"; host: string; wildcard: boolean }
  /** `host:port`; a pattern may have port "*" and a wildcarded host. */
  | { kind: "tcp"; host: string; wildcard: boolean; port: string }
  | { kind: "label"; key: string; value: string };

/** `bind:…` or a bare target, already valid (ACL_RULE_PATTERN or ALLOW_PATTERN); `*` alone is not a target. */
export function parseBindTarget(text: string): BindTarget {
  const target = text.startsWith("bind:") ? text.slice("bind:".length) : text;
  const equals = target.indexOf("=");
  if (equals >= 0) return { kind: "label", key: target.slice(0, equals), value: target.slice(equals + 1) };
  const wildcard = target.startsWith("*.");
  const name = wildcard ? target.slice(1) : target;
  const colon = name.lastIndexOf(":");
  if (colon >= 0) return { kind: "tcp", host: name.slice(0, colon), wildcard, port: name.slice(colon + 1) };
  return { kind: "host", host: name, wildcard };
}

/**
 * True when every target `rule` can bind is one `pattern` allows. A wildcarded host is held as its suffix
 * (".example.com"), so `*.a.example.com` falls under `*.example.com` and `a.example.com` too, but
 * `example.com` does not; `*` in a label pattern covers any key or value, `*` in a rule only a `*` pattern.
 */
export function covers(pattern: BindTarget, rule: BindTarget): boolean {
  if (pattern.kind === "label") return rule.kind === "label" && (pattern.key === "*" || pattern.key === rule.key) && (pattern.value === "*" || pattern.value === rule.value);
  if (rule.kind === "label" || pattern.kind !== rule.kind) return false;
  if (pattern.kind === "tcp" && rule.kind === "tcp" && pattern.port !== "*" && pattern.port !== rule.port) return false;
  if (!pattern.wildcard) return !rule.wildcard && rule.host === pattern.host;
  return rule.host.endsWith(pattern.host) && (rule.wildcard || rule.host.length > pattern.host.length);
}
