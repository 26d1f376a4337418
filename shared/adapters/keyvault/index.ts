export { createSecretSource, KeyVaultSecretSource, LocalSecretSource, type SecretSourceOptions } from "./secrets.js";
