// The ownership marker of a kind without metadata (service users): a suffix of its name, `ci [ngrok-gitops:OWNER_ID]`.
//
// Like the metadata marker it lives in ngrok itself, so losing KV never makes us forget what we own. It says less:
// no nonce (a service user holds no secret, so a create whose answer was lost leaves nothing unusable behind, and
// the next run finds it by its name and keeps it) and no `protect` (prevent_destroy is judged from the specs only).

const SUFFIX = / \[ngrok-gitops:([A-Za-z0-9][A-Za-z0-9._-]{0,62})\]$/;
const NAME = /^[a-z0-9][a-z0-9\-_.]{0,62}$/;

/** The live `name` of spec `name` of installation `owner`. */
export function encodeNameMarker(owner: string, name: string): string {
  return `${name} [ngrok-gitops:${owner}]`;
}

/** The owner and spec name a live name carries, or null when it carries no well-formed marker. */
export function decodeNameMarker(live: string): { owner: string; name: string } | null {
  const match = SUFFIX.exec(live);
  if (match === null) return null;
  const name = live.slice(0, match.index);
  return NAME.test(name) ? { owner: match[1] as string, name } : null;
}
