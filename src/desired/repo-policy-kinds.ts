// The repository policy for the kinds beside credentials: each kind is judged by the rules whose fields it has.
import type { RepositoryPolicy } from "./repo-policy-file.js";
import { judgeSpecs, type RuleContext, type Violation } from "./repo-policy-rules.js";
import type { ApiKeySpec, KindSpecs, SshCredentialSpec } from "./kind-types.js";
import type { CredentialSpec } from "./types.js";

/** A violation of one item of any list; `spec` is the item (its source says where it is). */
export interface KindViolation {
  spec: { name: string; source: CredentialSpec["source"] };
  violation: Violation;
}

/**
 * API keys: `require` (not acl), max_rotate_after, max_lifetime, deliver.allow. SSH credentials: `require` (not
 * deliver or rotate_after), acl.allow and acl.deny_unrestricted on their bind rules, max_lifetime. Service users
 * have none of the fields a policy names: no rule applies to them.
 */
export function judgeKinds(kinds: KindSpecs, policy: RepositoryPolicy, context: RuleContext): KindViolation[] {
  const keys = judgeSpecs(kinds.api_keys.map(fromApiKey), forKind(policy, ["acl"], false, true), context);
  const ssh = judgeSpecs(kinds.ssh_credentials.map(fromSsh), forKind(policy, ["deliver", "rotate_after"], true, false), context);
  return [...keys, ...ssh];
}

/** The policy with the rules about fields the kind lacks left out. */
function forKind(policy: RepositoryPolicy, lacks: readonly string[], hasAcl: boolean, mints: boolean): RepositoryPolicy {
  return {
    ...policy,
    require: policy.require.filter((requirement) => !lacks.includes(requirement.path[0] as string)),
    allow: hasAcl ? policy.allow : null,
    denyUnrestricted: hasAcl ? policy.denyUnrestricted : null,
    maxRotateAfter: mints ? policy.maxRotateAfter : null,
    deliverAllow: mints ? policy.deliverAllow : null,
  };
}

/** The credential-shaped view the rules read (an `owner:` counts as an owner_id). */
function fromApiKey(spec: ApiKeySpec): CredentialSpec {
  return { ...spec, acl: [], ...(spec.owner_id === undefined && spec.owner !== undefined ? { owner_id: spec.owner.name } : {}) };
}

function fromSsh(spec: SshCredentialSpec): CredentialSpec {
  const { public_key: _key, ...rest } = spec;
  return { ...rest, deliver: [], ...(spec.owner_id === undefined && spec.owner !== undefined ? { owner_id: spec.owner.name } : {}) };
}
