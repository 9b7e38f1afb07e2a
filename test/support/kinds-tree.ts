// The spec tree of every kind the tests apply: one service user owning a credential, an API key and an SSH credential.

/** An SSH public key (no secret; its private half was never kept). */
export const SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF++CKuDsUoYCtjKI+WiEVV2nwhkEsxWvvkTgvjdUvN6 agent";

/** One file of all four kinds, every one owned by the service user `ci`. */
export function kindsTree(publicKey: string = SSH_PUBLIC_KEY): string {
  return [
    "service_users:",
    "  - name: ci",
    "credentials:",
    "  - name: agent",
    "    owner: ci",
    "api_keys:",
    "  - name: deploy",
    "    description: CI deploys",
    "    owner: ci",
    "ssh_credentials:",
    "  - name: bastion",
    "    owner: ci",
    "    acl: [bind:ssh.example.com]",
    `    public_key: ${publicKey}`,
    "",
  ].join("\n");
}
