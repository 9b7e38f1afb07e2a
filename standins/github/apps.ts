// The stand-in's GitHub Apps: the one configured at start and those registered through the manifest flow, each with its key, webhook config, permissions, events and installations.
import { importAppPublicKey, verifyAppJwt, type JwtVerdict } from "./app-auth.js";
import * as shape from "./serialize.js";
import type { UserRecord } from "./state.js";

export type Permission = "read" | "write";
export type Permissions = Readonly<Record<string, Permission>>;

export interface InstallationSpec {
  readonly id: number;
  /** The account it is installed on; default the owner of the repository asked about. */
  readonly account?: string;
  /** `owner/name`s it can access; default every repository. */
  readonly repositories?: readonly string[];
  readonly permissions?: Permissions;
}

/** GET /app/hook/config's fields (the secret is kept here and only ever answered masked). */
export interface HookConfig {
  url: string;
  content_type: "json" | "form";
  insecure_ssl: "0" | "1";
  secret: string | null;
}

export interface AppRecord {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly owner: UserRecord;
  readonly description: string;
  readonly externalUrl: string;
  readonly clientId: string;
  readonly createdAt: string;
  readonly permissions: Permissions;
  readonly events: readonly string[];
  readonly setupUrl: string | null;
  hook: HookConfig | null;
  readonly installations: InstallationSpec[];
  readonly key: () => Promise<CryptoKey>;
}

export class AppRegistry {
  readonly apps = new Map<number, AppRecord>();
  #nextAppId = 0;

  add(record: Omit<AppRecord, "id"> & { id?: number }): AppRecord {
    const id = record.id ?? Math.max(100_000, this.#nextAppId, ...this.apps.keys()) + 1;
    this.#nextAppId = Math.max(this.#nextAppId, id);
    const full: AppRecord = { ...record, id };
    this.apps.set(id, full);
    return full;
  }

  get size(): number {
    return this.apps.size;
  }

  /** The App that was configured first (the one tests and `npm start` pass in `options.app`). */
  first(): AppRecord | undefined {
    return this.apps.values().next().value;
  }

  bySlug(slug: string): AppRecord | undefined {
    return [...this.apps.values()].find((a) => a.slug.toLowerCase() === slug.toLowerCase());
  }

  byName(name: string): AppRecord | undefined {
    return [...this.apps.values()].find((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  /** The App owning installation `id`, and the installation. */
  installation(id: number): { app: AppRecord; spec: InstallationSpec } | undefined {
    for (const app of this.apps.values()) {
      const spec = app.installations.find((i) => i.id === id);
      if (spec) return { app, spec };
    }
    return undefined;
  }

  nextInstallationId(): number {
    return Math.max(0, ...[...this.apps.values()].flatMap((a) => a.installations.map((i) => i.id))) + 1;
  }

  /** Verifies an App JWT like GitHub: the App named by `iss`, its key, and the claims' times. */
  async verify(token: string, nowSeconds: number): Promise<JwtVerdict> {
    const app = this.apps.get(Number(issuer(token))) ?? this.first();
    if (!app) return { ok: false, message: "A JSON web token could not be decoded" };
    return verifyAppJwt(token, app.id, await app.key(), nowSeconds);
  }
}

/** The `iss` claim, read before the signature is checked (GitHub needs it to pick the App's key). */
function issuer(token: string): string | undefined {
  try {
    const part = (token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
    const claims: unknown = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    const iss = typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>)["iss"] : undefined;
    return typeof iss === "string" || typeof iss === "number" ? String(iss) : undefined;
  } catch {
    return undefined;
  }
}

/** A key loader that imports once. */
export function keyLoader(publicKey: CryptoKey | undefined, publicKeyPem: string | undefined): () => Promise<CryptoKey> {
  let loaded: Promise<CryptoKey> | null = null;
  return () =>
    (loaded ??= publicKey
      ? Promise.resolve(publicKey)
      : publicKeyPem
        ? importAppPublicKey(publicKeyPem)
        : Promise.reject(new Error("options.app needs publicKeyPem or publicKey")));
}

/** GET /app's and GET /apps/{slug}'s body: GitHub's Integration object. */
export function appJson(app: AppRecord, urls: shape.Urls) {
  return {
    ...shape.integration({ id: app.id, slug: app.slug, owner: app.owner }, urls),
    client_id: app.clientId,
    name: app.name,
    description: app.description,
    external_url: app.externalUrl,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: app.permissions,
    events: app.events,
    installations_count: app.installations.length,
  };
}
