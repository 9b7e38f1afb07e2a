// /ssh_credentials: a user-supplied SSH public key with description, metadata, bind ACL rules and owner_id.
import type { StoredSshCredential } from "./account.js";
import { ERR } from "./errors.js";
import type { ResourceKind } from "./resource.js";
import { sshPublicKeyProblem } from "./ssh-key.js";
import { asObject, bad, checkBodyId, editableFields, optionalOwner, optionalString, rejectUnknown } from "./validate.js";

export function sshCredentialsKind(): ResourceKind<StoredSshCredential> {
  return {
    path: "/ssh_credentials",
    prefix: "sshcr_",
    listProperty: "ssh_credentials",
    items: (account) => account.sshCredentials,
    create(account, raw) {
      const body = asObject(raw);
      rejectUnknown(body, ["description", "metadata", "acl", "public_key", "owner_id"]);
      const publicKey = optionalString(body, "public_key");
      if (publicKey === undefined || publicKey.trim() === "") throw bad(ERR.sshKeyInvalid, "The request parameter public_key is required: the SSH public key that will authenticate.");
      const problem = sshPublicKeyProblem(publicKey);
      if (problem !== undefined) throw bad(ERR.sshKeyInvalid, problem);
      const fields = editableFields(body);
      const owner = optionalOwner(body, (id) => account.ownerExists(id));
      const { ksuid, created_at } = account.mint();
      const stored: StoredSshCredential = {
        id: `sshcr_${ksuid}`,
        created_at,
        description: fields.description ?? "",
        metadata: fields.metadata ?? "",
        acl: fields.acl ?? [],
        public_key: publicKey.trim(),
        owner_id: owner ?? account.ownerId,
      };
      account.sshCredentials.set(stored.id, stored);
      return { stored, secret: null };
    },
    update(_account, stored, raw) {
      const body = asObject(raw);
      rejectUnknown(body, ["id", "description", "metadata", "acl"]);
      checkBodyId(body, stored.id);
      const update = editableFields(body);
      if (update.description === undefined && update.metadata === undefined && update.acl === undefined) {
        throw bad(ERR.noValues, "The ssh credential update failed because no values were provided. Specify at least one value.");
      }
      if (update.description !== undefined) stored.description = update.description;
      if (update.metadata !== undefined) stored.metadata = update.metadata;
      if (update.acl !== undefined) stored.acl = [...update.acl];
    },
    wire: (s, uri) => ({
      id: s.id,
      uri,
      created_at: s.created_at,
      ...(s.description !== "" ? { description: s.description } : {}),
      ...(s.metadata !== "" ? { metadata: s.metadata } : {}),
      public_key: s.public_key,
      acl: [...s.acl],
      owner_id: s.owner_id,
    }),
  };
}
