// ACL rule syntax: the one pattern both the validator and the published JSON Schema use.
//
// ngrok accepts `*` (no restriction) and `bind:` rules: a hostname (optionally with a leading `*.`
// wildcard), a TCP address `host:port`, or a label `key=value` where key and/or value may be `*`.

export const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
export const HOST = `${LABEL}(?:\\.${LABEL})*`;
export const PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
export const LABEL_KEY = "(?:\\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,62})";
export const LABEL_VALUE = "(?:\\*|[A-Za-z0-9_.-]{1,63})";

/** Matches exactly the rules ngrok accepts. */
export const ACL_RULE_PATTERN = new RegExp(
  `^(?:\\*|bind:(?:(?:\\*\\.)?${HOST}|${HOST}:${PORT}|${LABEL_KEY}=${LABEL_VALUE}))$`,
);

/** A hostname is at most 253 bytes; the pattern alone cannot say so. */
export const ACL_RULE_MAX_LENGTH = "bind:".length + 253 + ":65535".length;

/** Why a rule is not accepted, for a person: the most likely mistake first. */
export function explainAclRule(rule: string): string {
  if (rule.trim() !== rule) return "has leading or trailing white space";
  if (!rule.startsWith("bind:")) return 'must be "*" or start with "bind:" (the only rule ngrok supports)';
  const target = rule.slice("bind:".length);
  if (target === "") return 'names nothing after "bind:"';
  if (/[A-Z]/.test(target) && !target.includes("=")) return "hostnames must be lowercase";
  if (target.includes("*") && !target.includes("=") && !target.startsWith("*.")) {
    return 'a hostname wildcard may only be a leading "*." (e.g. bind:*.example.com)';
  }
  if (target.length > 253 + ":65535".length) return "is longer than a hostname can be (253 bytes)";
  const port = new RegExp(`^${HOST}:(\\d+)$`).exec(target)?.[1];
  if (port !== undefined && !new RegExp(`^${PORT}$`).test(port)) {
    const n = Number(port);
    return n >= 1 && n <= 65535 ? `port ${port} has a leading zero; write ${n}` : `port ${port} is out of range 1-65535 (a TCP address is host:port)`;
  }
  return "is not a hostname, host:port or key=value label rule";
}
