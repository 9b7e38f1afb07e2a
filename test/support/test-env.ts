// Fixed test configuration shared by global setup (Node) and the workerd tests.
export const TEST_APP_ID = 424242;
export const TEST_REPOSITORY = "acme/gitops-test";
export const TEST_SECRETS = {
  NGROK_API_KEY: "test-ngrok-api-key-0123456789",
  GITHUB_WEBHOOK_SECRET: "test-webhook-secret-0123456789",
  ADMIN_TOKEN: "test-admin-token-0123456789-abcdefghijkl",
  GITHUB_REPOSITORY: TEST_REPOSITORY,
  OWNER_ID: "test-owner",
  MAX_DELETES: "3",
} as const;
