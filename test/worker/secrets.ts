// The secret values a Worker must never echo, and a scanner that finds any of them in a text.
import { TEST_SECRETS } from "../support/test-env.js";
import { bindings, emulatorTokens } from "./support.js";

const KEY_SLICE = 40;

export interface SecretScanner {
  /** Names of the secrets found in `text` (empty when clean). */
  find(text: string): string[];
  /** How many secret values it looks for (a scanner looking for nothing proves nothing). */
  readonly size: number;
}

/**
 * The configured secrets: ngrok API key, webhook secret, admin token, the key material of TOKEN_ENCRYPTION_KEYS,
 * and every 40-character slice of the GitHub App private key's base64 body. With `tokens`, also every token the
 * emulator minted.
 */
export async function secretScanner(options: { tokens?: boolean } = {}): Promise<SecretScanner> {
  const exact = new Map<string, string>([
    [TEST_SECRETS.NGROK_API_KEY, "NGROK_API_KEY"],
    [TEST_SECRETS.GITHUB_WEBHOOK_SECRET, "GITHUB_WEBHOOK_SECRET"],
    [TEST_SECRETS.ADMIN_TOKEN, "ADMIN_TOKEN"],
    [bindings.NGROK_API_KEY, "NGROK_API_KEY"],
    [bindings.GITHUB_WEBHOOK_SECRET, "GITHUB_WEBHOOK_SECRET"],
    [bindings.ADMIN_TOKEN ?? TEST_SECRETS.ADMIN_TOKEN, "ADMIN_TOKEN"],
  ]);
  for (const entry of bindings.TOKEN_ENCRYPTION_KEYS.split(",")) {
    const material = entry.slice(entry.indexOf(":") + 1).trim();
    if (material.length < 16) throw new Error("TOKEN_ENCRYPTION_KEYS has no key material to look for");
    exact.set(material, "TOKEN_ENCRYPTION_KEYS");
    // Base64 of 32 bytes ends in "="; a text may carry it URL-escaped or without padding.
    exact.set(material.replace(/=+$/, ""), "TOKEN_ENCRYPTION_KEYS");
  }
  if (options.tokens) {
    for (const [id, token] of Object.entries(await emulatorTokens())) exact.set(token, `token of ${id}`);
  }
  const pem = bindings.GITHUB_APP_PRIVATE_KEY ?? "";
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\\n|\s/g, "");
  if (body.length < 200) throw new Error("GITHUB_APP_PRIVATE_KEY is not bound: nothing to look for");
  const slices = new Set<string>();
  for (let i = 0; i + KEY_SLICE <= body.length; i++) slices.add(body.slice(i, i + KEY_SLICE));
  return {
    size: exact.size + slices.size,
    find(text: string): string[] {
      const found = new Set<string>();
      for (const [value, name] of exact) if (value && text.includes(value)) found.add(name);
      // PEM lines, JSON escapes and URL encoding split the key: compare with those removed.
      const flat = text.replace(/\\n|\s/g, "");
      for (let i = 0; i + KEY_SLICE <= flat.length; i++) {
        if (slices.has(flat.slice(i, i + KEY_SLICE))) {
          found.add("GITHUB_APP_PRIVATE_KEY");
          break;
        }
      }
      return [...found];
    },
  };
}

/** Every header of a response as one text, for scanning. */
export function headerText(response: Response): string {
  return [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
}
