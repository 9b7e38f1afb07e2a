// Saved plans (`plan --out FILE`, `apply FILE`): the plan with fingerprints of the specs, the live account and the local store it was made from, so apply can refuse a plan that no longer fits.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { OtherKindList } from "../desired/kind-types.js";
import type { CredentialsPort } from "../run/ports.js";
import type { Credential } from "../ngrok/types.js";
import type { Intent, Plan } from "../plan/types.js";
import type { SpecSource } from "../desired/types.js";
import { isErrno, writeFileAtomic } from "../vault/file-store.js";
import { CliError, messageOf } from "./errors.js";

export const PLAN_FILE_FORMAT = "ngrok-gitops-plan";
// 2: the other kinds' lists and fingerprint (a version-1 file never checked them: plan again).
export const PLAN_FILE_VERSION = 2;

export interface Fingerprints {
  /** Every spec file's path and content. */
  specs: string;
  /** Every live credential's fields that a plan depends on (tokens aside, which ngrok never lists). */
  account: string;
  /** The local token store's names and ids, and the open write-ahead intents. */
  local: string;
  /** Every listed service user's, API key's and SSH credential's fields a plan depends on (plan-file-kinds.ts). */
  kinds: string;
}

export interface PlanFile {
  format: typeof PLAN_FILE_FORMAT;
  version: typeof PLAN_FILE_VERSION;
  created_at: string;
  api_url: string;
  owner_id: string;
  /** `--target`s the plan was made with; empty for a full plan. */
  targets: string[];
  fingerprints: Fingerprints;
  /** The other kinds the plan listed: apply lists them again for fingerprints.kinds. */
  kind_lists: OtherKindList[];
  /** Of everything above and the plan: catches an edited or truncated file. */
  checksum: string;
  plan: Plan;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Order-independent: files are sorted by path. */
export function fingerprintSpecs(sources: readonly SpecSource[]): string {
  const sorted = [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256(JSON.stringify(sorted.map((s) => [s.path, s.content])));
}

export function fingerprintAccount(live: readonly Credential[]): string {
  const rows = live
    .map((c) => [c.id, c.created_at, c.description ?? "", c.metadata ?? "", [...c.acl].sort(), c.owner_id])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return sha256(JSON.stringify(rows));
}

export function fingerprintLocal(stored: ReadonlyMap<string, string>, intents: readonly Intent[]): string {
  const ids = [...stored].sort(([a], [b]) => a.localeCompare(b));
  const open = intents.map((i) => [i.name, i.nonce]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
  return sha256(JSON.stringify({ ids, open }));
}

/** The credentials API with its listing kept, so the plan's own GET /credentials is what gets fingerprinted (no second listing). */
export function recordListing<T extends CredentialsPort & { list(): Promise<Credential[]> }>(api: T): { api: CredentialsPort & { list(): Promise<Credential[]> }; listed(): Credential[] } {
  let seen: Credential[] | null = null;
  let pages: Credential[] = [];
  return {
    api: {
      list: async () => (seen = await api.list()),
      // The run core lists page by page: the listing is complete when a page has no next.
      listPage: async (cursor) => {
        if (cursor === null) pages = [];
        const page = await api.listPage(cursor);
        pages.push(...page.credentials);
        if (page.next === null) seen = pages;
        return page;
      },
      create: (body) => api.create(body),
      update: (id, body) => api.update(id, body),
      delete: (id) => api.delete(id),
    },
    listed: () => {
      if (seen === null) throw new Error("internal: the account was not listed");
      return seen;
    },
  };
}

function checksumOf(file: Omit<PlanFile, "checksum">): string {
  const { format, version, created_at, api_url, owner_id, targets, fingerprints, kind_lists, plan } = file;
  return sha256(JSON.stringify({ format, version, created_at, api_url, owner_id, targets, fingerprints, kind_lists, plan }));
}

export function makePlanFile(input: { apiUrl: string; ownerId: string; targets: readonly string[]; fingerprints: Fingerprints; kindLists: readonly OtherKindList[]; plan: Plan; now?: Date }): PlanFile {
  const body: Omit<PlanFile, "checksum"> = {
    format: PLAN_FILE_FORMAT,
    version: PLAN_FILE_VERSION,
    created_at: (input.now ?? new Date()).toISOString(),
    api_url: input.apiUrl,
    owner_id: input.ownerId,
    targets: [...input.targets],
    fingerprints: input.fingerprints,
    kind_lists: [...input.kindLists],
    plan: input.plan,
  };
  return { ...body, checksum: checksumOf(body) };
}

/** Written atomically and readable by its owner only (0600): it names the account's managed credentials. */
export async function writePlanFile(path: string, file: PlanFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError("CLI_PLAN_FILE", isErrno(error, "ENOENT") ? `plan file ${path} does not exist; write one with \`npm run plan -- --out ${path}\`` : `cannot read plan file ${path}: ${messageOf(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError("CLI_PLAN_FILE", `${path} is not a plan file (not JSON); write one with \`npm run plan -- --out ${path}\``);
  }
  const file = parsed as Partial<PlanFile> | null;
  if (typeof file !== "object" || file === null || file.format !== PLAN_FILE_FORMAT) {
    throw new CliError("CLI_PLAN_FILE", `${path} is not an ngrok-gitops plan file; write one with \`npm run plan -- --out ${path}\``);
  }
  if (file.version !== PLAN_FILE_VERSION) throw new CliError("CLI_PLAN_FILE", `${path} is a plan file of version ${String(file.version)}; this version reads ${PLAN_FILE_VERSION}: plan again`);
  const whole = file as PlanFile;
  const { checksum, ...rest } = whole;
  if (typeof checksum !== "string" || checksumOf(rest) !== checksum) {
    throw new CliError("CLI_PLAN_FILE", `${path} was changed after it was written (checksum mismatch); plan again instead of editing a saved plan`);
  }
  return whole;
}

/** Why a saved plan no longer fits what apply would act on; empty when it does. */
export function staleReasons(saved: PlanFile, now: { apiUrl: string; ownerId: string; fingerprints: Fingerprints }): string[] {
  const reasons: string[] = [];
  if (saved.api_url !== now.apiUrl) reasons.push(`it was made for ${saved.api_url}, and NGROK_API_URL is now ${now.apiUrl}`);
  if (saved.owner_id !== now.ownerId) reasons.push(`it was made as OWNER_ID ${saved.owner_id}, and OWNER_ID is now ${now.ownerId}`);
  if (saved.fingerprints.specs !== now.fingerprints.specs) reasons.push("the spec files changed since");
  if (saved.fingerprints.account !== now.fingerprints.account) reasons.push("the ngrok account changed since (a credential was created, changed or deleted)");
  if (saved.fingerprints.kinds !== now.fingerprints.kinds) reasons.push("the ngrok account changed since (a service user, API key or SSH credential was created, changed or deleted)");
  if (saved.fingerprints.local !== now.fingerprints.local) reasons.push("the local token store or its write-ahead intents changed since (another apply ran)");
  return reasons;
}
