// The vault's public surface for Worker code (file-store.ts is Node-only and imported directly by the CLI; memory-store.ts is for tests and the bench).
export { VaultError, isVaultError, type VaultErrorCode } from "./errors.js";
export { generateKeyringEntry, importKeyring, keyringFor, type Keyring, type KeyringKey } from "./keyring.js";
export { openToken, parseSealedToken, rewrap, sealToken, type SealedToken, type TokenBinding } from "./seal.js";
export { parseStoredToken, type StoredToken, type TokenStore } from "./store.js";
export { KvTokenStore, type KvTokenStoreOptions } from "./kv-store.js";
export { TokenVault, type RevealedToken, type RotateResult, type TokenVaultOptions } from "./vault.js";
