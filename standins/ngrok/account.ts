// One emulated ngrok account: its credentials, one-time tokens, faults and the calls it received.
import type { Credential, CredentialCreate, CredentialUpdate } from "../../src/ngrok/types";
import type { Fault } from "./faults";
import { FaultBook } from "./faults";
import type { RateLimit } from "../../src/ngrok/rate-limit";
import { RollingWindow } from "../../src/ngrok/rate-limit";
import { newestFirst } from "./paging";
import { KsuidSource, randomBase62, rfc3339Seconds, tokenFor } from "./ids";

export interface StoredCredential {
  id: string;
  created_at: string;
  description: string;
  metadata: string;
  acl: string[];
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
  private readonly credentials = new Map<string, StoredCredential>();
  private readonly tokens = new Map<string, string>();
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
  return {
    id: stored.id,
    uri: `${baseUrl}/credentials/${stored.id}`,
    created_at: stored.created_at,
    ...(stored.description !== "" ? { description: stored.description } : {}),
    ...(stored.metadata !== "" ? { metadata: stored.metadata } : {}),
    token,
    acl: [...stored.acl],
    owner_id: stored.owner_id,
  };
}
