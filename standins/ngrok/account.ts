// One emulated ngrok account: its credentials, one-time tokens, faults and the calls it received.
import type { Credential, CredentialCreate, CredentialUpdate } from "../../src/ngrok/types.js";
import type { Fault } from "./faults.js";
import { FaultBook } from "./faults.js";
import type { RateLimit } from "../../src/ngrok/rate-limit.js";
import { RollingWindow } from "../../src/ngrok/rate-limit.js";
import { newestFirst } from "./paging.js";
import { KsuidSource, randomBase62, rfc3339Seconds, tokenFor } from "./ids.js";

export interface StoredCredential {
  id: string;
  created_at: string;
  description: string;
  metadata: string;
  acl: string[];
  owner_id: string;
}

export interface StoredServiceUser {
  id: string;
  created_at: string;
  name: string;
  active: boolean;
  roles: string[];
}

export interface StoredApiKey {
  id: string;
  created_at: string;
  description: string;
  metadata: string;
  owner_id: string;
}

export interface StoredSshCredential {
  id: string;
  created_at: string;
  description: string;
  metadata: string;
  acl: string[];
  public_key: string;
  owner_id: string;
}

export interface CallRecord {
  method: string;
  path: string;
  /** Query string including "?", or "". */
  query: string;
  /** null when the connection was reset or the request was aborted before an answer. */
  status: number | null;
  /** Which fault shaped the answer, e.g. "status", "latency", "commitThenFail", "reset", "timeout". */
  fault: string | null;
  operation_id: string;
  /** When it arrived, by the emulator's clock (ms since the epoch). */
  at: number;
  /** Set when the account's limits refused it: "rate" (ERR_NGROK_226) or "concurrency" (ERR_NGROK_225). */
  limited?: "rate" | "concurrency";
}

export class Account {
  readonly ownerId = `usr_${randomBase62(27)}`;
  readonly faults = new FaultBook();
  readonly calls: CallRecord[] = [];
  readonly credentials = new Map<string, StoredCredential>();
  private readonly tokens = new Map<string, string>();
  /** The other kinds, one map each, keyed by id (see service-users.ts, api-keys.ts, ssh-credentials.ts). */
  readonly serviceUsers = new Map<string, StoredServiceUser>();
  readonly apiKeys = new Map<string, StoredApiKey>();
  readonly sshCredentials = new Map<string, StoredSshCredential>();
  inFlight = 0;
  maxInFlight = 0;
  /** The rate limit's rolling window; null when the limit is off. */
  window: RollingWindow | null;
  /** The limit in force for this account (the emulator's, unless a test set its own). */
  rate: RateLimit | null;

  constructor(
    private readonly ids: KsuidSource,
    private readonly now: () => number,
    private readonly defaultRate: RateLimit | null = null,
  ) {
    this.rate = defaultRate;
    this.window = defaultRate === null ? null : new RollingWindow(defaultRate);
  }

  /** This account's own limit (a test's, e.g. 20 per 4 s to see pacing in seconds); reset() restores the emulator's. */
  setRateLimit(rate: RateLimit | null): void {
    this.rate = rate;
    this.window = rate === null ? null : new RollingWindow(rate);
  }

  /** A fresh KSUID for a new resource's id, and its created_at. */
  mint(): { ksuid: string; created_at: string } {
    return { ksuid: this.ids.next(), created_at: rfc3339Seconds(this.now()) };
  }

  /** An owner_id names the account's own user or one of its service users. */
  ownerExists(id: string): boolean {
    return id === this.ownerId || this.serviceUsers.has(id);
  }

  /** The ids of the resources of every kind that `ownerId` owns. */
  ownedBy(ownerId: string): string[] {
    const all = [...this.credentials.values(), ...this.apiKeys.values(), ...this.sshCredentials.values()];
    return all.filter((r) => r.owner_id === ownerId).map((r) => r.id);
  }

  create(body: CredentialCreate, createdAt?: string): { stored: StoredCredential; token: string } {
    const ksuid = this.ids.next();
    const stored: StoredCredential = {
      id: `cr_${ksuid}`,
      created_at: createdAt ?? rfc3339Seconds(this.now()),
      description: body.description ?? "",
      metadata: body.metadata ?? "",
      acl: body.acl ?? [],
      owner_id: body.owner_id ?? this.ownerId,
    };
    const token = tokenFor(ksuid);
    this.credentials.set(stored.id, stored);
    this.tokens.set(stored.id, token);
    return { stored, token };
  }

  get(id: string): StoredCredential | undefined {
    return this.credentials.get(id);
  }

  update(id: string, body: CredentialUpdate): StoredCredential | undefined {
    const stored = this.credentials.get(id);
    if (stored === undefined) return undefined;
    if (body.description !== undefined) stored.description = body.description;
    if (body.metadata !== undefined) stored.metadata = body.metadata;
    if (body.acl !== undefined) stored.acl = [...body.acl];
    return stored;
  }

  delete(id: string): boolean {
    this.tokens.delete(id);
    return this.credentials.delete(id);
  }

  /** Newest first: ids are KSUIDs, so descending id is descending creation order. */
  sorted(): StoredCredential[] {
    return newestFirst(this.credentials.values());
  }

  tokenMap(): Record<string, string> {
    return Object.fromEntries(this.tokens);
  }

  reset(): void {
    this.credentials.clear();
    this.tokens.clear();
    this.serviceUsers.clear();
    this.apiKeys.clear();
    this.sshCredentials.clear();
    this.faults.clear();
    this.calls.length = 0;
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.setRateLimit(this.defaultRate);
  }

  addFaults(faults: readonly Fault[]): void {
    this.faults.add(faults);
  }
}

/**
 * The wire shape: empty description and metadata are left out, as in the reference's list example
 * (whose items carry no metadata) and ngrok's Go client (`omitempty`); acl is always an array.
 */
export function toWire(stored: StoredCredential, baseUrl: string, token: string | null): Credential {
  return toWireAt(stored, `${baseUrl}/credentials/${stored.id}`, token);
}

export function toWireAt(stored: StoredCredential, uri: string, token: string | null): Credential {
  return {
    id: stored.id,
    uri,
    created_at: stored.created_at,
    ...(stored.description !== "" ? { description: stored.description } : {}),
    ...(stored.metadata !== "" ? { metadata: stored.metadata } : {}),
    token,
    acl: [...stored.acl],
    owner_id: stored.owner_id,
  };
}
