import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Forks, not threads: children inherit NODE_EXTRA_CA_CERTS and the Azurite
    // connection string that the global setup puts in the environment.
    pool: "forks",
    globalSetup: ["test/setup/certs.ts", "test/setup/azurite.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
