// Secrets live outside wrangler.toml (`wrangler secret put`), so `wrangler types` cannot see them: declared here.
declare namespace Cloudflare {
  interface Env {
    NGROK_API_KEY: string;
    GITHUB_WEBHOOK_SECRET: string;
    /** GitHub App auth (preferred): both set. */
    GITHUB_APP_ID?: string;
    GITHUB_APP_PRIVATE_KEY?: string;
    /** Token auth, when no App is configured. */
    GITHUB_TOKEN?: string;
    /** Keyring `kid:base64key,...`: the first key encrypts, every key decrypts. */
    TOKEN_ENCRYPTION_KEYS: string;
    ADMIN_TOKEN: string;
  }
}
