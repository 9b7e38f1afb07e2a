// ACL rule validation: '*', bind:<host>, bind:*.<host>, bind:<host>:<port>, bind:<key>=<value> with wildcards.

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Label rule halves: word characters, dots and dashes, with `*` wildcards anywhere. */
const LABEL_PART = /^[A-Za-z0-9_.*-]+$/;

function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split(".").every((label) => LABEL.test(label));
}

function isBindValue(value: string): boolean {
  const eq = value.indexOf("=");
  if (eq >= 0) {
    const key = value.slice(0, eq);
    const val = value.slice(eq + 1);
    return LABEL_PART.test(key) && LABEL_PART.test(val);
  }
  const colon = value.lastIndexOf(":");
  if (colon >= 0) {
    const host = value.slice(0, colon);
    const port = value.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(port)) return false;
    const n = Number(port);
    return n >= 1 && n <= 65535 && isHostname(host);
  }
  return isHostname(value.startsWith("*.") ? value.slice(2) : value);
}

export function isValidAclRule(rule: string): boolean {
  if (rule === "*") return true;
  if (!rule.startsWith("bind:")) return false;
  return isBindValue(rule.slice("bind:".length));
}
