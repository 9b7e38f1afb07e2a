// GitHub Actions secrets, repository, environment or organisation: seal a value to the target's public key and PUT it, read its metadata, or delete it.
import { GitHubApiError, repoPath, type GitHubClient } from "./client.js";
import { sealTo } from "./sealed-box.js";

export type ActionsSecretTarget =
  | {
      /** `owner/name`. */
      readonly repo: string;
      /** The secret's name, e.g. `NGROK_AUTHTOKEN`. */
      readonly name: string;
      /** An environment secret when set; a repository secret otherwise. */
      readonly environment?: string;
    }
  | {
      /** An organisation secret, usable by the organisation's repositories per `visibility`. */
      readonly org: string;
      readonly name: string;
      readonly visibility: "all" | "private";
    };

export interface ActionsPublicKey {
  readonly key_id: string;
  /** base64 of the 32-byte X25519 public key. */
  readonly key: string;
}

/**
 * Public keys already fetched in this run, per repository and environment, so delivering many credentials to one
 * repository asks for its key once. Holds promises so concurrent deliveries share one request. Make one per run:
 * GitHub rotates these keys rarely, and a PUT with a stale key id is retried once with a fresh key anyway.
 */
export type PublicKeyCache = Map<string, Promise<ActionsPublicKey>>;

export type PutOutcome = "created" | "updated";

/** What GitHub tells about a secret without its value: when it was created and last written (to the second). */
export interface SecretMetadata {
  readonly created_at: string;
  readonly updated_at: string;
}
export type DeleteOutcome = "deleted" | "absent";

/** `/repos/{o}/{r}/actions/secrets`, `/repos/{o}/{r}/environments/{env}/secrets` or `/orgs/{org}/actions/secrets`. */
export function secretsPath(target: { repo: string; environment?: string } | { org: string }): string {
  if ("org" in target) return `/orgs/${encodeURIComponent(target.org)}/actions/secrets`;
  const base = repoPath(target.repo);
  if (target.environment === undefined) return `${base}/actions/secrets`;
  if (target.environment === "") throw new Error("an environment secret needs a non-empty environment name");
  return `${base}/environments/${encodeURIComponent(target.environment)}/secrets`;
}

function cacheKey(target: ActionsSecretTarget): string {
  if ("org" in target) return `org\u0000${target.org.toLowerCase()}`;
  // Owner and name are case-insensitive on GitHub; environment names are kept as given.
  return target.environment === undefined ? target.repo.toLowerCase() : `${target.repo.toLowerCase()}\u0000${target.environment}`;
}

function publicKey(github: GitHubClient, target: ActionsSecretTarget, keys: PublicKeyCache): Promise<ActionsPublicKey> {
  const id = cacheKey(target);
  const cached = keys.get(id);
  if (cached) return cached;
  const fetched = github.request<ActionsPublicKey>("GET", `${secretsPath(target)}/public-key`).then((key) => {
    if (typeof key?.key_id !== "string" || typeof key.key !== "string") {
      throw new GitHubApiError("GET", `${secretsPath(target)}/public-key`, 200, "the response has no key_id and key");
    }
    return { key_id: key.key_id, key: key.key };
  });
  keys.set(id, fetched);
  // A failed fetch must not stay cached: the next delivery in the run asks again.
  fetched.catch(() => {
    if (keys.get(id) === fetched) keys.delete(id);
  });
  return fetched;
}

/**
 * Encrypts `value` to the target's public key and creates or updates the secret. The value never appears in a log
 * line or an error: failures are GitHubApiErrors naming the method, path and status only.
 */
export async function putActionsSecret(
  github: GitHubClient,
  target: ActionsSecretTarget,
  value: string,
  keys: PublicKeyCache = new Map(),
): Promise<PutOutcome> {
  return (await writeActionsSecret(github, target, value, keys)).outcome;
}

/**
 * putActionsSecret, also returning GitHub's clock when it answered the PUT (its `Date` header, ISO 8601; null when
 * absent): the secret's `updated_at` is then at most this, so a later `updated_at` is someone else's write.
 */
export async function writeActionsSecret(
  github: GitHubClient,
  target: ActionsSecretTarget,
  value: string,
  keys: PublicKeyCache = new Map(),
): Promise<{ outcome: PutOutcome; at: string | null }> {
  const path = `${secretsPath(target)}/${encodeURIComponent(target.name)}`;
  const put = async (): Promise<{ outcome: PutOutcome; at: string | null }> => {
    const key = await publicKey(github, target, keys);
    const encrypted_value = await sealTo(key.key, value);
    const body: Record<string, string> = { encrypted_value, key_id: key.key_id };
    if ("org" in target) body.visibility = target.visibility;
    const response = await github.raw("PUT", path, body);
    const date = Date.parse(response.headers.get("date") ?? "");
    return { outcome: response.status === 201 ? "created" : "updated", at: Number.isFinite(date) ? new Date(date).toISOString() : null };
  };
  const hadKey = keys.has(cacheKey(target));
  try {
    return await put();
  } catch (error) {
    // A cached key GitHub has since rotated is refused with 422: fetch the current one and try once more.
    if (!hadKey || !(error instanceof GitHubApiError) || error.status !== 422) throw error;
    keys.delete(cacheKey(target));
    return put();
  }
}

/** The secret's metadata (`GET …/secrets/{name}`, never the value), or null when there is none (404). */
export async function getActionsSecret(github: GitHubClient, target: ActionsSecretTarget): Promise<SecretMetadata | null> {
  const path = `${secretsPath(target)}/${encodeURIComponent(target.name)}`;
  let found: Partial<SecretMetadata> | undefined;
  try {
    found = await github.request<Partial<SecretMetadata>>("GET", path);
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return null;
    throw error;
  }
  if (typeof found?.updated_at !== "string" || typeof found.created_at !== "string") throw new GitHubApiError("GET", path, 200, "the response has no created_at and updated_at");
  return { created_at: found.created_at, updated_at: found.updated_at };
}

/** Deletes the secret; one that is already gone (404) counts as deleted, so a retried run converges. */
export async function deleteActionsSecret(github: GitHubClient, target: ActionsSecretTarget): Promise<DeleteOutcome> {
  try {
    await github.raw("DELETE", `${secretsPath(target)}/${encodeURIComponent(target.name)}`);
    return "deleted";
  } catch (error) {
    if (error instanceof GitHubApiError && error.status === 404) return "absent";
    throw error;
  }
}
